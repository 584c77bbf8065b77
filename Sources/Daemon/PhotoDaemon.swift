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
    /// The model whose space searches are answered in (the stored vectors' while re-embedding).
    private let serving: ServingModel
    /// Copies of the serving model's files, so a model change can re-embed in the background.
    private let archive: (any ServingModelArchive)?
    private var reembedding: ReembeddingDriver?
    private let started = Deadline.now()
    private let statusLock = NSLock()
    private var lastStatusNotification: UInt64 = 0

    /// Opens the index (refusing a state directory another photoqd holds) and
    /// prepares every part; nothing runs until `start()`.
    /// With an `archive`, a model change keeps the old vectors searchable
    /// while the library is re-embedded in the background; without one (or
    /// when it has no copy of the old model) the old vectors are cleared.
    public init(configuration: DaemonConfiguration, embedder: any PhotoEmbedder, log: Log,
                environment: [String: String], archive: (any ServingModelArchive)? = nil) throws(DaemonError) {
        self.configuration = configuration
        self.embedder = embedder
        self.log = log
        self.archive = archive
        notifier = SystemdNotifier(environment: environment)
        let (index, servingEmbedder) = try PhotoDaemon.openIndex(configuration, embedder, archive, log)
        self.index = index
        serving = ServingModel(servingEmbedder)
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
        let handler = QueryHandler(index: index, serving: serving, log: log,
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

    private static func openIndex(_ c: DaemonConfiguration, _ embedder: any PhotoEmbedder, _ archive: (any ServingModelArchive)?,
                                  _ log: Log) throws(DaemonError) -> (PhotoIndex, any PhotoEmbedder) {
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
        var servingEmbedder = embedder
        do {
            var unreadable = index.corruptRecordIDsAtOpen
            switch index.compatibility {
            case .compatible:
                break
            case let .needsReembedding(stored, d, _):
                if let old = archive?.embedder(for: stored) {
                    log.notice("the index holds vectors of model \(stored) (D=\(d)); re-embedding every photo with \(embedder.modelID) in the background, searches use the old model until every photo is done")
                    unreadable += try index.beginReembedding()
                    servingEmbedder = old
                } else {
                    log.notice("the index holds vectors of model \(stored) (D=\(d)) and no copy of that model was kept to search them; re-embedding every photo with \(embedder.modelID), photos are searchable as they are done")
                    try index.prepareForNewModel()
                }
            case let .reembedding(stored, _, _):
                if let old = archive?.embedder(for: stored) {
                    let progress = index.reembeddingProgress
                    log.notice("resuming the re-embedding with \(embedder.modelID): \(progress?.staged ?? 0) of \(progress?.photos ?? 0) photos done; searches use \(stored) until every photo is done")
                    servingEmbedder = old
                } else {
                    log.notice("a re-embedding with \(embedder.modelID) was under way, but the copy of \(stored) that answered searches is gone; clearing the old vectors")
                    try index.prepareForNewModel()
                    unreadable = []
                }
            }
            if !unreadable.isEmpty {
                log.warning("dropping \(unreadable.count) unreadable records; their photos are indexed again")
                try index.removeRecords(ids: unreadable)
            }
        } catch {
            index.close()
            throw DaemonError(.index, "cannot prepare the index in \(c.stateDirectory): \(error)")
        }
        return (index, servingEmbedder)
    }

    /// Starts every thread and tells systemd the daemon is ready.
    public func start() {
        writer.onBatchCommitted = { [unowned self] in notifyStatus(force: false) }
        writer.start()
        scanner.start()
        watcher.start()
        server?.start()
        if index.reembeddingProgress != nil {
            let driver = ReembeddingDriver(index: index, queue: queue, isIdle: { [unowned self] in reembeddingMayCheck },
                                           isReachable: { [presence] in presence.rootIsThere(of: $0) },
                                           switchModel: { [unowned self] in try switchToNewModel() }, log: log)
            reembedding = driver
            driver.start()
        } else {
            keepServingModel()
        }
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
        reembedding?.stop()
        reembedding = nil
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

    /// Scan done and nothing queued or held: what the scan could queue is in.
    private var reembeddingMayCheck: Bool {
        let state = watcher.state
        return (state == .watching || state == .polling) && !scanner.isBusy && queue.pending + writer.heldPhotoCount == 0
    }

    /// The end of a background re-embedding: the index's switch commits
    /// while no request is being answered, and the next is answered with the new model.
    private func switchToNewModel() throws {
        let began = Deadline.now()
        let unstaged = try index.completeReembedding { commitAndSwitch in
            try serving.switchTo(embedder) { try commitAndSwitch() }
        }
        log.notice("re-embedding done: searches use \(embedder.modelID) now", [
            "index.count": index.search.count, "unstaged": unstaged,
            "switch.seconds": (Double(Deadline.now() - began) / 1e6).rounded() / 1000])
        keepServingModel()
        notifyStatus(force: true)
    }

    /// Copies the serving model's files for the next model change (off the start-up path).
    private func keepServingModel() {
        guard let archive else { return }
        let embedder = embedder
        let log = log
        DispatchQueue.global(qos: .utility).async {
            do { try archive.keep(embedder) } catch {
                log.warning("cannot keep a copy of the model \(embedder.modelID): \(error); a later model change then re-embeds with the old vectors cleared")
            }
        }
    }

    func status() -> StatusResult {
        var counts = FailureListing.Counts()
        do { counts = try FailureListing.counts(index) } catch { log.error("cannot count failed and skipped files: \(error)") }
        var state = watcher.state.rawValue
        let scanning = scanner.isBusy
        if state == "watching" && scanning { state = "scanning" }
        let pending = queue.pending + writer.heldPhotoCount
        var result = StatusResult(indexed: index.search.count, pending: pending, failed: counts.failed,
                                  modelID: serving.current.modelID, dimension: serving.current.dimension, roots: configuration.roots,
                                  watcher: state, watches: watcher.watchCount,
                                  uptimeSeconds: Double(Deadline.now() - started) / 1e9, pid: getpid())
        result.indexingPaused = writer.indexingPaused
        result.failedByReason = counts.failed > 0 ? counts.failedByReason : nil
        result.skipped = counts.skipped
        result.byReason = counts.byReason
        result.indexing = scanning ? "scanning" : pending > 0 ? "embedding" : "idle"
        result.byFormat = ImageFormat.indexedCounts(index.catalog.countsByFormat)
        if let progress = index.reembeddingProgress {
            result.reembedding = ReembeddingStatus(model: embedder.modelID, dimension: embedder.dimension,
                                                   done: progress.staged, total: progress.photos)
        }
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
