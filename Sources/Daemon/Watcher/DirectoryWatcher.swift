import Foundation
import Glibc
import PhotoqProtocol

/// Watches every folder under the roots with inotify and turns what happens
/// into ingest tasks; hands anything it cannot follow event by event to the
/// scanner. When the kernel's watch limit is hit it says how to raise it,
/// once, and falls back to periodic rescans.
public final class DirectoryWatcher: @unchecked Sendable {
    public enum State: String, Sendable { case starting, watching, polling, stopping }

    private let roots: [String]
    private let filter: PathFilter
    private let queue: IngestQueue
    private let scanner: LibraryScanner
    private let pollInterval: Double
    private let watchLimit: Int?
    private let log: Log
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

    public init(roots: [String], filter: PathFilter, queue: IngestQueue, scanner: LibraryScanner,
                pollInterval: Double, watchLimit: Int? = nil, log: Log) throws(DaemonError) {
        self.roots = roots
        self.filter = filter
        self.queue = queue
        self.scanner = scanner
        self.pollInterval = pollInterval
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
        for root in roots { watchTree(root) }
        scanner.request(roots)
        if state == .starting { set(.watching) }
        var nextPoll = Deadline(secondsFromNow: pollInterval)
        while state != .stopping {
            var fds = [pollfd(fd: inotify.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            // Wake soon while a moved-from waits for its moved-to.
            var timeout = inotify.hasPendingMoves ? Int32(50) : Int32(1000)
            if state == .polling { timeout = min(timeout, max(1, nextPoll.millisecondsLeft)) }
            let n = poll(&fds, 2, timeout)
            if n < 0 && errno != EINTR { log.error("watcher poll failed: \(String(cString: strerror(errno)))"); return }
            if fds[1].revents != 0 { return }
            for event in inotify.readEvents() { handle(event) }
            lock.withLock { watchCountValue = inotify.watchCount }
            if state == .polling && nextPoll.millisecondsLeft == 0 {
                scanner.request(roots)
                nextPoll = Deadline(secondsFromNow: pollInterval)
            }
        }
    }

    private func handle(_ event: WatchEvent) {
        switch event {
        case .fileWritten(let path):
            if isPhoto(path) { queue.push(.file(path)) }
        case .fileRemoved(let path):
            if isPhoto(path) { queue.push(.remove(path)) }
        case .movedIn(let path, let isDirectory):
            if isDirectory { newDirectory(path) } else if isPhoto(path) { queue.push(.file(path)) }
        case .movedOut(let path, let isDirectory):
            if isDirectory {
                inotify.unwatchTree(path)
                queue.push(.removeTree(path))
            } else {
                queue.push(.remove(path))
            }
        case .moved(let from, let to, let isDirectory):
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
            log.warning("inotify queue overflowed; rescanning \(roots.joined(separator: ", "))")
            scanner.request(roots)
        }
    }

    /// Watches a new folder (and anything created in it before the watch
    /// existed), then scans it for photos already inside.
    private func newDirectory(_ path: String) {
        guard !skipsDirectory(path) else { return }
        watchTree(path)
        scanner.request([path])
    }

    private func watchTree(_ root: String) {
        FileScanner(filter: filter).walk(root, directory: { dir in
            guard state != .polling, !inotify.isWatched(dir) else { return }
            if let watchLimit, inotify.watchCount >= watchLimit { return exhausted() }
            switch inotify.watch(dir) {
            case .added: break
            case .exhausted: exhausted()
            case .failed(let e):
                // Gone already, or unreadable: the scan will see what is there.
                log.debug("cannot watch \(dir): \(String(cString: strerror(e)))")
            }
        }, photo: { _ in })
        lock.withLock { watchCountValue = inotify.watchCount }
    }

    private func exhausted() {
        set(.polling)
        guard !exhaustedLogged else { return }
        exhaustedLogged = true
        let limit = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_user_watches", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        log.warning("""
            out of inotify watches (fs.inotify.max_user_watches = \(limit)); new photos will be found by a rescan \
            every \(Int(pollInterval)) s instead of at once. To fix: echo fs.inotify.max_user_watches=524288 | \
            sudo tee /etc/sysctl.d/90-photoq.conf && sudo sysctl --system, then restart photoqd
            """)
    }

    private func isPhoto(_ path: String) -> Bool {
        filter.isPhoto(name: String(path.split(separator: "/").last ?? ""))
    }

    private func skipsDirectory(_ path: String) -> Bool {
        guard let root = roots.first(where: { path.hasPrefix($0 + "/") }) else { return true }
        return filter.skipsPath(path + "/x", under: root)
    }
}
