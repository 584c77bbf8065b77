import Foundation
import Glibc
import Index
import PhotoqProtocol

/// Watches every folder under the roots with inotify and turns what happens
/// into ingest tasks; hands anything it cannot follow event by event to the
/// scanner. When the kernel's watch limit is hit it says how to raise it,
/// once, falls back to periodic rescans, and at each of them tries to watch
/// again, returning to events when watches have freed up. It also notices
/// roots that go away (unmounted, moved, deleted) or come (back).
public final class DirectoryWatcher: @unchecked Sendable {
    public enum State: String, Sendable { case starting, watching, polling, stopping }

    private let roots: [String]
    private let filter: PathFilter
    private let membership: LibraryMembership
    private let presence: RootPresence
    private let queue: IngestQueue
    private let scanner: LibraryScanner
    private let pollInterval: Double
    private let rootCheckInterval: Double
    private let watchLimit: Int?
    private let log: Log
    /// Where files that are not photos are accounted for between scans (nil: only scans do).
    private let skips: PhotoIndex?
    private let classifier: SkipClassifier
    /// Skips to record (or forget: nil) from the events just read, written
    /// in one transaction per read so a folder of 10,000 sidecars costs one
    /// commit, not 10,000 (watcher thread only).
    private var skipChanges: [(path: String, skip: SkipRecord?)] = []
    private let inotify: Inotify
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private let lock = NSLock()
    private var stateValue = State.starting
    private var watchCountValue = 0
    private var overflowCountValue = 0
    private var exhaustedLogged = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// A file created with IN_CREATE but no write is a hard link when its
    /// data is older than this (or it has other links); a new file being
    /// written is reported again by IN_CLOSE_WRITE.
    static let linkedFileAgeNanoseconds: Int64 = 2_000_000_000

    public init(roots: [String], filter: PathFilter, presence: RootPresence, queue: IngestQueue, scanner: LibraryScanner,
                pollInterval: Double, rootCheckInterval: Double = 2, watchLimit: Int? = nil, log: Log,
                skips: PhotoIndex? = nil) throws(DaemonError) {
        self.skips = skips
        classifier = SkipClassifier(roots: roots, filter: filter)
        self.roots = roots
        self.filter = filter
        membership = LibraryMembership(roots: roots, filter: filter)
        self.presence = presence
        self.queue = queue
        self.scanner = scanner
        self.pollInterval = pollInterval
        self.rootCheckInterval = rootCheckInterval
        self.watchLimit = watchLimit
        self.log = log
        inotify = try Inotify()
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw DaemonError(.watcher, "pipe failed: \(String(cString: strerror(errno)))") }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds { Descriptor.makeNonBlockingCloseOnExec(fd) }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    public var state: State { lock.withLock { stateValue } }
    public var watchCount: Int { lock.withLock { watchCountValue } }
    /// How many times the kernel's event queue overflowed.
    public var overflowCount: Int { lock.withLock { overflowCountValue } }

    private func set(_ state: State) { lock.withLock { stateValue = state } }

    /// Adds the watches, asks for the start-up scan, then follows events.
    public func start() {
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "photoqd-watcher"
        thread = t
        t.start()
    }

    public func stop() {
        set(.stopping)
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
        if thread != nil { finished.wait() }
        thread = nil
    }

    private func run() {
        // Watches first, then the scan: a file written in between is seen by one or the other.
        for root in roots {
            if presence.isAvailable(root) {
                watchTree(root)
            } else {
                rootGone(root, at: "start-up")
            }
        }
        scanner.request(presence.presentRoots)
        if state == .starting { set(.watching) }
        var nextPoll = Deadline(secondsFromNow: pollInterval)
        var nextRootCheck = Deadline(secondsFromNow: rootCheckInterval)
        while state != .stopping {
            var fds = [pollfd(fd: inotify.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            // Wake soon while a moved-from waits for its moved-to.
            var timeout = inotify.hasPendingMoves ? Int32(50) : Int32(1000)
            timeout = min(timeout, max(1, nextRootCheck.millisecondsLeft))
            if state == .polling { timeout = min(timeout, max(1, nextPoll.millisecondsLeft)) }
            let n = poll(&fds, 2, timeout)
            if n < 0 && errno != EINTR { log.error("watcher poll failed: \(String(cString: strerror(errno)))"); return }
            if fds[1].revents != 0 { return }
            for event in inotify.readEvents() { handle(event) }
            flushSkips()
            if nextRootCheck.millisecondsLeft == 0 {
                checkRoots()
                nextRootCheck = Deadline(secondsFromNow: rootCheckInterval)
            }
            if state == .polling && nextPoll.millisecondsLeft == 0 {
                retryWatches()
                scanner.request(presence.presentRoots)
                nextPoll = Deadline(secondsFromNow: pollInterval)
            }
            lock.withLock { watchCountValue = inotify.watchCount }
        }
    }

    private func handle(_ event: WatchEvent) {
        switch event {
        case .fileWritten(let path):
            if isPhoto(path) { queue.push(.file(path)) } else { accountFor(path) }
        case .fileCreated(let path):
            if isPhoto(path), isLinkedFile(path) { queue.push(.file(path)) }
            if FileSystem.isSymlink(path) || (!isPhoto(path) && isLinkedFile(path)) { accountFor(path) }
        case .attributesChanged(let path, let isDirectory):
            if isDirectory {
                // A folder that became readable: watch and scan it.
                if !inotify.isWatched(path) && FileSystem.isDirectory(path) { newDirectory(path) }
            } else if isPhoto(path) {
                queue.push(.file(path)) // the writer compares size and mtime with the record
            }
        case .fileRemoved(let path):
            if isPhoto(path) { queue.push(.remove(path)) } else { forget(path) }
        case .movedIn(let path, let isDirectory):
            // A symlink moved in is not indexed, like one created here (LibraryMembership).
            if isDirectory { newDirectory(path) } else if isPhoto(path), !FileSystem.isSymlink(path) { queue.push(.file(path)) } else { accountFor(path) }
        case .movedOut(let path, let isDirectory):
            if isDirectory {
                inotify.unwatchTree(path)
                queue.push(.removeTree(path))
            } else {
                queue.push(.remove(path))
            }
        case .moved(let from, let to, let isDirectory):
            if !isDirectory {
                forget(from)
                if !isPhoto(to) || FileSystem.isSymlink(to) { accountFor(to) }
            }
            if isDirectory {
                inotify.renameTree(from: from, to: to)
                if skipsDirectory(to) {
                    inotify.unwatchTree(to)
                    queue.push(.removeTree(from))
                } else if skipsDirectory(from) {
                    newDirectory(to)
                } else {
                    queue.push(.moveTree(from: from, to: to))
                }
            } else {
                queue.push(.move(from: from, to: to))
            }
        case .directoryCreated(let path):
            newDirectory(path)
        case .directoryRemoved(let path):
            inotify.unwatchTree(path)
            queue.push(.removeTree(path))
        case .overflow:
            lock.withLock { overflowCountValue += 1 }
            log.warning("inotify queue overflowed; rescanning \(presence.presentRoots.joined(separator: ", "))")
            scanner.request(presence.presentRoots)
        case .watchGone(let path):
            // A subfolder's own removal or move was reported by its parent.
            if let root = roots.first(where: { PathBytes.same($0, path) }), presence.isPresent(root) {
                rootGone(root, at: "an inotify event")
            }
        }
    }

    /// IN_CREATE of a regular file with no write to come: a hard link to
    /// data written before (a symlink is never indexed; a file being written
    /// is reported again by IN_CLOSE_WRITE).
    private func isLinkedFile(_ path: String) -> Bool {
        guard let st = FileSystem.linkStatus(path), (st.st_mode & S_IFMT) == S_IFREG else { return false }
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let age = (Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)) - mtime
        return st.st_nlink > 1 || (st.st_size > 0 && age > Self.linkedFileAgeNanoseconds)
    }

    // MARK: - Roots

    /// Every few seconds: a root that vanished without an event (no watch
    /// on it while polling) or one that came (back).
    private func checkRoots() {
        for root in roots {
            let exists = presence.isAvailable(root)
            if presence.isPresent(root) && !exists {
                rootGone(root, at: "a check")
            } else if !presence.isPresent(root) && exists {
                rootReturned(root)
            }
        }
    }

    private func rootGone(_ root: String, at when: String) {
        inotify.unwatchTree(root)
        presence.markMissing(root)
        let hidden = presence.hidden.count
        log.warning("""
            root \(root) is missing (found at \(when)): not mounted, moved or deleted; its photos stay in the index, \
            hidden from results, and it is checked every \(Int(rootCheckInterval.rounded(.up))) s
            """, ["index.hidden": hidden])
    }

    private func rootReturned(_ root: String) {
        presence.markPresent(root)
        log.notice("root \(root) is back; watching and rescanning it")
        if state != .polling { watchTree(root) }
        scanner.request([root])
    }

    // MARK: - Watches

    /// Watches a new folder (and anything created in it before the watch
    /// existed), then scans it for photos already inside.
    private func newDirectory(_ path: String) {
        guard !skipsDirectory(path) else { return }
        if state != .polling { watchTree(path) }
        scanner.request([path])
    }

    /// Adds watches for every folder below `root` not watched yet; false
    /// when the watches ran out (the state is then `.polling`).
    @discardableResult
    private func watchTree(_ root: String) -> Bool {
        var ranOut = false
        FileScanner(filter: filter).walk(root, directory: { dir in
            guard !inotify.isWatched(dir) else { return }
            if let watchLimit, inotify.watchCount >= watchLimit {
                ranOut = true
                return
            }
            switch inotify.watch(dir, followingLink: roots.contains { PathBytes.same($0, dir) }) {
            case .added: break
            case .exhausted: ranOut = true
            case .failed(let e):
                // Gone already, or unreadable: the scan will see what is there.
                log.debug("cannot watch \(dir): \(String(cString: strerror(e)))")
            }
        }, photo: { _ in }, shouldStop: { ranOut })
        lock.withLock { watchCountValue = inotify.watchCount }
        if ranOut { exhausted() }
        return !ranOut
    }

    /// While polling: try to watch every folder again (others' watches may
    /// have been released, folders deleted, the limit raised).
    private func retryWatches() {
        for root in presence.presentRoots where !watchTree(root) { return }
        set(.watching)
        exhaustedLogged = false
        log.notice("inotify watches are available again (\(inotify.watchCount) folders); following changes as they happen")
    }

    private func exhausted() {
        set(.polling)
        guard !exhaustedLogged else { return }
        exhaustedLogged = true
        let limit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        log.warning("""
            out of inotify watches (fs.inotify.max_user_watches = \(limit)); new photos will be found by a rescan \
            every \(Int(pollInterval)) s instead of at once, and watching resumes by itself when watches free up. \
            To fix: echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-photoq.conf && sudo sysctl --system
            """)
    }

    /// A file that is not a photo, or a link, appearing between scans: counted
    /// as skipped now (and logged once), not only at the next scan.
    private func accountFor(_ path: String) {
        guard skips != nil, membership.root(of: path) != nil else { return }
        guard let skip = classifier.file(path, name: FileSystem.lastComponent(path)) else { return }
        skipChanges.append((path, skip))
    }

    private func forget(_ path: String) {
        if skips != nil { skipChanges.append((path, nil)) }
    }

    private func flushSkips() {
        guard let skips, !skipChanges.isEmpty else { return }
        defer { skipChanges.removeAll() }
        do {
            for skip in try skips.updateSkips(skipChanges) {
                log.debug("skipped \(skip.className): \(skip.detail)", ["photo.path": skip.path])
            }
        } catch {
            log.warning("cannot record \(skipChanges.count) skipped files: \(error)")
        }
    }

    private func isPhoto(_ path: String) -> Bool {
        filter.isPhoto(name: FileSystem.lastComponent(path))
    }

    private func skipsDirectory(_ path: String) -> Bool {
        guard let root = membership.root(of: path) else { return true }
        return filter.skipsPath(path + "/x", under: root)
    }
}
