import Glibc
import PhotoqProtocol

/// A change below a watched folder, after move pairing.
public enum WatchEvent: Equatable, Sendable {
    /// A file was closed after writing (never half-written).
    case fileWritten(String)
    /// A name appeared without being written through it: a hard link or a
    /// symlink (a new file being written also starts this way; the watcher
    /// tells them apart).
    case fileCreated(String)
    /// Metadata changed: `touch -m`/utime, chmod, a new link count.
    case attributesChanged(String, isDirectory: Bool)
    case fileRemoved(String)
    /// Something was moved within the watched folders.
    case moved(from: String, to: String, isDirectory: Bool)
    /// Moved in from outside the watched folders.
    case movedIn(String, isDirectory: Bool)
    /// Moved out of the watched folders.
    case movedOut(String, isDirectory: Bool)
    case directoryCreated(String)
    case directoryRemoved(String)
    /// The kernel dropped events; whatever happened must be found by a rescan.
    case overflow
    /// A watched folder itself went away: deleted, moved, its file system
    /// unmounted. Its watch is gone; for a root, nothing reports on it any more.
    case watchGone(String)
}

/// Raw inotify rather than libinotifytools: the daemon needs the move cookie
/// to pair IN_MOVED_FROM/IN_MOVED_TO, its own handling of ENOSPC and of
/// IN_Q_OVERFLOW, and a descriptor it can poll together with a wake pipe;
/// libinotifytools keeps process-global state, recurses on its own terms and
/// hides the cookie behind its event formatting, so it would be fought, not used.
final class Inotify {
    enum WatchResult: Equatable { case added, exhausted, failed(Int32) }

    static let directoryMask = UInt32(IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
        | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

    /// A moved-from whose moved-to did not come within this time went outside the roots.
    static let movePairingWindowNanoseconds: UInt64 = 100_000_000

    let fd: Int32
    private var pathsByWatch: [Int32: String] = [:]
    /// Keyed by the path's bytes: String keys would merge NFC and NFD twins.
    private var watchByPath: [[UInt8]: Int32] = [:]
    private var pendingMoves: [UInt32: (path: String, isDirectory: Bool, at: UInt64)] = [:]

    init() throws(DaemonError) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            let e = errno
            let hint = e == EMFILE ? " (too many inotify instances: raise fs.inotify.max_user_instances)" : ""
            throw DaemonError(.watcher, "inotify_init1 failed: \(String(cString: strerror(e)))\(hint)")
        }
    }

    deinit { close(fd) }

    var watchCount: Int { pathsByWatch.count }
    var hasPendingMoves: Bool { !pendingMoves.isEmpty }

    func isWatched(_ directory: String) -> Bool { watchByPath[Array(directory.utf8)] != nil }

    /// - Parameter followingLink: for a root given as a symlink (~/Pictures
    ///   → /media/disk/Pictures); folders found inside roots never are.
    func watch(_ directory: String, followingLink: Bool = false) -> WatchResult {
        let mask = followingLink ? Inotify.directoryMask & ~UInt32(IN_DONT_FOLLOW) : Inotify.directoryMask
        let wd = PathBytes.withCString(directory) { inotify_add_watch(fd, $0, mask) }
        guard wd >= 0 else { return errno == ENOSPC ? .exhausted : .failed(errno) }
        // The same wd comes back for a folder already watched under another name (after a move).
        if let old = pathsByWatch[wd] { watchByPath[Array(old.utf8)] = nil }
        pathsByWatch[wd] = directory
        watchByPath[Array(directory.utf8)] = wd
        return .added
    }

    /// Stops watching `directory` and everything below it (moved out or deleted).
    func unwatchTree(_ directory: String) {
        for (key, wd) in watchByPath where Self.isWithin(key, directory) {
            inotify_rm_watch(fd, wd)
            watchByPath[key] = nil
            pathsByWatch[wd] = nil
        }
    }

    /// A folder moved within the roots keeps its watches; only their names change.
    func renameTree(from old: String, to new: String) {
        let oldCount = old.utf8.count
        for (key, wd) in watchByPath where Self.isWithin(key, old) {
            let renamed = new + String(decoding: key.dropFirst(oldCount), as: UTF8.self)
            watchByPath[key] = nil
            watchByPath[Array(renamed.utf8)] = wd
            pathsByWatch[wd] = renamed
        }
    }

    private static func isWithin(_ key: [UInt8], _ directory: String) -> Bool {
        PathBytes.isWithin(String(decoding: key, as: UTF8.self), directory)
    }

    /// Reads what is available (non-blocking) and returns paired events.
    /// Moved-from events wait up to the pairing window for their moved-to.
    func readEvents() -> [WatchEvent] {
        var events: [WatchEvent] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            buffer.withUnsafeBytes { raw in parse(UnsafeRawBufferPointer(rebasing: raw[0..<n]), into: &events) }
        }
        let now = Deadline.now()
        for (cookie, move) in pendingMoves where now - move.at >= Inotify.movePairingWindowNanoseconds {
            pendingMoves[cookie] = nil
            events.append(.movedOut(move.path, isDirectory: move.isDirectory))
        }
        return events
    }

    // buffer: packed struct inotify_event { int wd; uint32 mask, cookie, len; char name[len]; }
    private func parse(_ buffer: UnsafeRawBufferPointer, into events: inout [WatchEvent]) {
        var offset = 0
        let header = 16
        while offset + header <= buffer.count {
            let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let cookie = buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let nameBytes = UnsafeRawBufferPointer(rebasing: buffer[(offset + header)..<min(buffer.count, offset + header + length)])
            let name = PathBytes.string(nameBytes.prefix(while: { $0 != 0 }))
            offset += header + length
            handle(wd: wd, mask: mask, cookie: cookie, name: name, into: &events)
        }
    }

    private func handle(wd: Int32, mask: UInt32, cookie: UInt32, name: String, into events: inout [WatchEvent]) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 { events.append(.overflow); return }
        if mask & UInt32(IN_IGNORED) != 0 {
            // The kernel dropped the watch (folder deleted, file system
            // unmounted); one we removed ourselves is already unknown here.
            if let path = pathsByWatch.removeValue(forKey: wd) {
                watchByPath[Array(path.utf8)] = nil
                events.append(.watchGone(path))
            }
            return
        }
        guard let dir = pathsByWatch[wd] else { return }
        if name.isEmpty && mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT) != 0 {
            events.append(.watchGone(dir))
            return
        }
        let isDirectory = mask & UInt32(IN_ISDIR) != 0
        let path = name.isEmpty ? dir : dir + "/" + name
        if mask & UInt32(IN_MOVED_FROM) != 0 {
            pendingMoves[cookie] = (path, isDirectory, Deadline.now())
        } else if mask & UInt32(IN_MOVED_TO) != 0 {
            if let from = pendingMoves.removeValue(forKey: cookie) {
                events.append(.moved(from: from.path, to: path, isDirectory: isDirectory))
            } else {
                events.append(.movedIn(path, isDirectory: isDirectory))
            }
        } else if mask & UInt32(IN_CLOSE_WRITE) != 0 {
            events.append(.fileWritten(path))
        } else if mask & UInt32(IN_CREATE) != 0 {
            events.append(isDirectory ? .directoryCreated(path) : .fileCreated(path))
        } else if mask & UInt32(IN_DELETE) != 0 {
            events.append(isDirectory ? .directoryRemoved(path) : .fileRemoved(path))
        } else if mask & UInt32(IN_ATTRIB) != 0 && !name.isEmpty {
            events.append(.attributesChanged(path, isDirectory: isDirectory))
        }
    }
}
