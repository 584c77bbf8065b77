import Foundation
import Index
import PhotoqProtocol

/// Reconciles the index with the disk: after start-up, an inotify overflow,
/// a new folder or on every poll when watches ran out. Runs on its own thread
/// so a long walk never delays the watcher; requests made while a scan runs
/// are merged into the next one.
public final class LibraryScanner: @unchecked Sendable {
    private let index: PhotoIndex
    private let queue: IngestQueue
    private let scanner: FileScanner
    private let presence: RootPresence?
    private let classifier: SkipClassifier
    private let log: Log
    private let condition = NSCondition()
    /// Folders to scan, none below another (compared as bytes).
    private var requested: [String] = []
    private var scanning = false
    private var stopped = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameter presence: which roots are there; folders of a missing root are not scanned.
    /// - Parameter roots: the library's roots, to tell links within them from links out.
    public init(index: PhotoIndex, queue: IngestQueue, filter: PathFilter, presence: RootPresence? = nil,
                roots: [String] = [], log: Log) {
        self.index = index
        self.queue = queue
        self.scanner = FileScanner(filter: filter)
        self.presence = presence
        classifier = SkipClassifier(roots: roots.isEmpty ? presence?.roots ?? [] : roots, filter: filter)
        self.log = log
    }

    /// True while a scan is running or waiting to run.
    public var isBusy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return scanning || !requested.isEmpty
    }

    /// Asks for `folders` to be reconciled (coalesced with pending requests).
    public func request(_ folders: [String]) {
        condition.lock()
        for f in folders where !requested.contains(where: { PathBytes.isWithin(f, $0) }) {
            requested.removeAll { PathBytes.isWithin($0, f) }
            requested.append(f)
        }
        condition.broadcast()
        condition.unlock()
    }

    public func start() {
        let t = Thread { [self] in
            while let folders = nextRequest() {
                for folder in folders.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !isStopped {
                    reconcile(folder)
                }
                condition.lock()
                scanning = false
                condition.unlock()
            }
            finished.signal()
        }
        t.name = "photoqd-scanner"
        thread = t
        t.start()
    }

    /// Stops after the folder being walked (queue pushes fail once the queue is closed).
    public func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        if thread != nil { finished.wait() }
        thread = nil
    }

    private var isStopped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopped
    }

    private func nextRequest() -> [String]? {
        condition.lock()
        defer { condition.unlock() }
        while requested.isEmpty && !stopped { condition.wait() }
        if stopped { return nil }
        let folders = requested
        requested.removeAll()
        scanning = true
        return folders
    }

    /// One folder: queue what is new or changed, re-point what moved while
    /// the daemon was not looking (same device+inode, or same size and
    /// content hash), then let the writer drop what is gone.
    func reconcile(_ folder: String) {
        // A root that is not there would look empty, and every photo in it gone.
        if let presence, !presence.allowsScan(of: folder) {
            log.debug("not scanning \(folder): its root is missing")
            return
        }
        let started = Deadline.now()
        // Keyed by the path's bytes: String keys take NFC and NFD twins for one file.
        var known: [[UInt8]: PhotoRecord] = [:]
        var failures: [[UInt8]: FailureRecord] = [:]
        do {
            try index.forEachRecord(includeFloats: false) { record in
                if isBelow(record.path, folder) { known[Array(record.path.utf8)] = record }
                return true
            }
            try index.forEachFailure { failure in
                if isBelow(failure.path, folder) { failures[Array(failure.path.utf8)] = failure }
                return true
            }
        } catch {
            log.error("cannot read the index to scan \(folder): \(error)")
            return
        }
        var fresh: [(path: String, identity: FileIdentity)] = []
        var changed: [String] = []
        var seen = Set<[UInt8]>()
        var skips: [SkipRecord] = []
        scanner.walk(folder, directory: { _ in }, photo: { path in
            let key = Array(path.utf8)
            seen.insert(key)
            guard let identity = FileIdentity.of(path: path) else { return }
            if let record = known[key] {
                if !(record.matches(identity) && index.hasCurrentEmbedding(id: record.id)) { changed.append(path) }
            } else if let failure = failures[key] {
                if !failure.matches(size: UInt64(identity.size), mtimeNanoseconds: identity.mtimeNanoseconds) {
                    changed.append(path)
                }
            } else {
                fresh.append((path, identity))
            }
        }, other: { path, name, isDirectory in
            if let skip = isDirectory ? self.classifier.folder(path, name: name) : self.classifier.file(path, name: name) {
                skips.append(skip)
            }
        }, shouldStop: { isStopped })
        if isStopped { return }
        recordSkips(skips, under: folder)

        // Records whose file is gone may have moved to one of the fresh paths.
        var orphans = known.filter { !seen.contains($0.key) && index.hasAnyEmbedding(id: $0.value.id) }
        var byInode: [String: [UInt8]] = [:]
        var bySize: [UInt64: [[UInt8]]] = [:]
        for (path, r) in orphans {
            byInode["\(r.device):\(r.inode):\(r.size):\(r.mtimeNanoseconds)"] = path
            bySize[r.size, default: []].append(path)
        }
        var moved = 0
        for item in fresh {
            let id = item.identity
            var from = byInode["\(id.device):\(id.inode):\(id.size):\(id.mtimeNanoseconds)"].flatMap { orphans[$0] != nil ? $0 : nil }
            if from == nil, let sameSize = bySize[UInt64(id.size)], let hash = try? FileSystem.contentHash(item.path) {
                from = sameSize.first { orphans[$0]?.contentHash == hash }
            }
            if let from, let record = orphans[from] {
                orphans[from] = nil
                queue.push(.move(from: record.path, to: item.path))
                moved += 1
            } else if !queue.push(.file(item.path)) {
                return // closed: shutting down
            }
        }
        for path in changed where !queue.push(.file(path)) { return }
        // Checked again: a root unmounted during the walk must not be swept.
        if let presence, !presence.allowsScan(of: folder) { return }
        queue.push(.sweep(folder))
        let ms = Double(Deadline.now() - started) / 1e6
        log.info("scanned \(folder)", ["scan.files": seen.count, "scan.new": fresh.count - moved, "scan.changed": changed.count,
                                       "scan.moved": moved, "scan.gone": orphans.count, "scan.skipped": skips.count, "scan.ms": Int(ms)])
    }

    /// Stores what the walk left out (logged once each, when first met).
    private func recordSkips(_ skips: [SkipRecord], under folder: String) {
        do {
            for skip in try index.replaceSkips(under: folder, with: skips) {
                log.debug("skipped \(skip.className): \(skip.detail)", ["photo.path": skip.path])
            }
        } catch {
            log.error("cannot record the files skipped in \(folder): \(error)")
        }
    }

    private func isBelow(_ path: String, _ folder: String) -> Bool {
        PathBytes.isWithin(path, folder) && !PathBytes.same(path, folder)
    }
}
