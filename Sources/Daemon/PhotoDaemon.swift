import Foundation
import Imaging
import Index
import PhotoqProtocol

/// photoqd: the index, the writer, the scanner, the watcher and the socket
/// server, started in dependency order and stopped in reverse.
public final class PhotoDaemon: @unchecked Sendable {
    public let configuration: DaemonConfiguration
    private let embedder: any PhotoEmbedder
    private let log: Log
    private let notifier: SystemdNotifier
    private let index: PhotoIndex
    private let queue: IngestQueue
    private let writer: IndexWriter
    private let scanner: LibraryScanner
    private let watcher: DirectoryWatcher
    private let presence: RootPresence
    private var server: QueryServer?
    private let started = Deadline.now()
    private let statusLock = NSLock()
    private var lastStatusNotification: UInt64 = 0

    /// Opens the index (refusing a state directory another photoqd holds) and
    /// prepares every part; nothing runs until `start()`.
    public init(configuration: DaemonConfiguration, embedder: any PhotoEmbedder, log: Log,
                environment: [String: String]) throws(DaemonError) {
        self.configuration = configuration
        self.embedder = embedder
        self.log = log
        notifier = SystemdNotifier(environment: environment)
        index = try PhotoDaemon.openIndex(configuration, embedder, log)
        let filter = PathFilter(excludes: configuration.excludes)
        presence = RootPresence(roots: configuration.roots, index: index)
        queue = IngestQueue(capacity: configuration.queueCapacity)
        writer = IndexWriter(index: index, embedder: embedder, queue: queue, filter: filter, roots: configuration.roots,
                             batchSize: configuration.batchSize, log: log)
        writer.rootPresence = presence
        scanner = LibraryScanner(index: index, queue: queue, filter: filter, presence: presence, roots: configuration.roots, log: log)
        do {
            watcher = try DirectoryWatcher(roots: configuration.roots, filter: filter, presence: presence, queue: queue,
                                           scanner: scanner, pollInterval: configuration.pollInterval,
                                           rootCheckInterval: configuration.rootCheckInterval,
                                           watchLimit: configuration.simulatedWatchLimit, log: log, skips: index)
        } catch {
            index.close()
            throw error
        }
        let presence = presence
        let handler = QueryHandler(index: index, embedder: embedder, log: log,
                                   status: { [unowned self] in status().reporting(presence) },
                                   reindex: { [unowned self] failedOnly in reindex(failedOnly: failedOnly) },
                                   hiddenIDs: { presence.hidden },
                                   pending: { [unowned self] in queue.pending + writer.heldPhotoCount })
        do {
            if let fd = try SocketActivation.listeningSocket(environment: environment) {
                log.info("using the socket passed by systemd")
                server = QueryServer(listener: fd, socketPath: nil, handler: handler, log: log,
                                     clientTimeout: configuration.clientTimeout)
            } else {
                server = try QueryServer(bindingTo: configuration.socketPath, handler: handler, log: log,
                                         clientTimeout: configuration.clientTimeout)
            }
        } catch {
            index.close()
            throw error
        }
    }

    private static func openIndex(_ c: DaemonConfiguration, _ embedder: any PhotoEmbedder, _ log: Log) throws(DaemonError) -> PhotoIndex {
        try PrivateDirectory.prepareStateFolder(c.stateDirectory, log: log)
        let index: PhotoIndex
        var lastTenth = -1
        do {
            index = try PhotoIndex(stateDirectory: c.stateDirectory, modelID: embedder.modelID,
                                   dimension: embedder.dimension, featureDimension: embedder.featureDimension) { done, total in
                // An index written by an older photoq is brought up to date once, at open.
                let tenth = total > 0 ? done * 10 / total : 10
                guard tenth != lastTenth else { return }
                lastTenth = tenth
                log.notice("migrating the index in \(c.stateDirectory): \(done) of \(total) records")
            }
            log.info("index loaded", ["index.count": index.search.count, "load.seconds": (index.loadSeconds * 1000).rounded() / 1000,
                                      "load.cpu_seconds": (index.loadCPUSeconds * 1000).rounded() / 1000,
                                      "search.memory_mb": index.search.memoryBytes >> 20])
        } catch let e as IndexError where e.code == .locked {
            throw DaemonError(.alreadyRunning, "\(e.message); stop it first or pass another --db")
        } catch {
            throw DaemonError(.index, "cannot open the index in \(c.stateDirectory): \(error)")
        }
        do {
            if case .needsReembedding(let stored, let d, _) = index.compatibility {
                log.notice("the index holds vectors of model \(stored) (D=\(d)); re-embedding every photo with \(embedder.modelID)")
                try index.prepareForNewModel()
            }
            if !index.corruptRecordIDsAtOpen.isEmpty {
                log.warning("dropping \(index.corruptRecordIDsAtOpen.count) unreadable records; their photos are indexed again")
                try index.removeRecords(ids: index.corruptRecordIDsAtOpen)
            }
        } catch {
            index.close()
            throw DaemonError(.index, "cannot prepare the index in \(c.stateDirectory): \(error)")
        }
        return index
    }

    /// Starts every thread and tells systemd the daemon is ready.
    public func start() {
        writer.onBatchCommitted = { [unowned self] in notifyStatus(force: false) }
        writer.start()
        scanner.start()
        watcher.start()
        server?.start()
        log.info("photoqd ready", ["index.count": index.search.count, "model": embedder.modelID,
                                   "socket": server?.socketPath ?? "passed by systemd", "roots": configuration.roots.joined(separator: ",")])
        notifier.notify("READY=1\nSTATUS=\(statusLine())")
    }

    /// Graceful stop: no new clients, no new events; the batch being embedded
    /// is finished and committed, queued work is left for the next start's scan.
    public func stop() {
        notifier.notify("STOPPING=1")
        log.info("stopping")
        server?.stop()
        server = nil
        watcher.stop()
        queue.close(discardPending: true)
        embedder.cancelDecoding() // a slow or hostile photo must not hold up the stop
        scanner.stop()
        writer.waitUntilStopped()
        index.close()
        log.info("stopped")
    }

    /// Blocks until every queued task has been applied (tests and benchmarks).
    public func waitUntilIdle() {
        while scanner.isBusy { usleep(10_000) }
        queue.waitUntilIdle()
    }

    func status() -> StatusResult {
        var counts = FailureListing.Counts()
        do { counts = try FailureListing.counts(index) } catch { log.error("cannot count failed and skipped files: \(error)") }
        var state = watcher.state.rawValue
        let scanning = scanner.isBusy
        if state == "watching" && scanning { state = "scanning" }
        let pending = queue.pending + writer.heldPhotoCount
        var result = StatusResult(indexed: index.search.count, pending: pending, failed: counts.failed,
                                  modelID: embedder.modelID, dimension: embedder.dimension, roots: configuration.roots,
                                  watcher: state, watches: watcher.watchCount,
                                  uptimeSeconds: Double(Deadline.now() - started) / 1e9, pid: getpid())
        result.indexingPaused = writer.indexingPaused
        result.failedByReason = counts.failed > 0 ? counts.failedByReason : nil
        result.skipped = counts.skipped
        result.byReason = counts.byReason
        result.indexing = scanning ? "scanning" : pending > 0 ? "embedding" : "idle"
        result.byFormat = ImageFormat.indexedCounts(index.catalog.countsByFormat)
        return result
    }

    /// Re-embeds the photos that failed (cleared so they are tried again) and,
    /// unless `failedOnly`, rescans every root. Returns the photos queued now.
    func reindex(failedOnly: Bool) -> Int {
        var paths: [String] = []
        try? index.forEachFailure { paths.append($0.path); return true }
        var queued = 0
        for path in paths {
            do { try index.clearFailure(path: path) } catch { log.warning("cannot clear failure: \(error)", ["photo.path": path]) }
            if queue.push(.file(path), wait: false) { queued += 1 }
        }
        if !failedOnly { scanner.request(presence.presentRoots) }
        return queued
    }

    private func statusLine() -> String {
        let s = status()
        return "\(s.indexed) photos indexed, \(s.pending) pending, \(s.failed) failed, \(s.skipped ?? 0) skipped"
    }

    /// STATUS= for `systemctl status`, at most once a second.
    private func notifyStatus(force: Bool) {
        guard notifier.isEnabled else { return }
        let now = Deadline.now()
        let due = statusLock.withLock { () -> Bool in
            guard force || now - lastStatusNotification > 1_000_000_000 else { return false }
            lastStatusNotification = now
            return true
        }
        if due { notifier.notify("STATUS=\(statusLine())") }
    }
}

extension PhotoDaemon {
    /// A full rescan, as after an inotify overflow (tests).
    func reindexForTests() { scanner.request(presence.presentRoots) }

    /// inotify queue overflows seen so far (tests).
    var watcherOverflows: Int { watcher.overflowCount }
}
