import Foundation
import Imaging
import Index
import PhotoqProtocol

/// The single writer: takes tasks from the queue in order, embeds new and
/// changed photos in batches and commits each batch in one LMDB write
/// transaction. Runs on its own thread, apart from the socket server.
/// Every handler re-reads the disk, so a stale or duplicate task does no harm.
public final class IndexWriter: @unchecked Sendable {
    private let index: PhotoIndex
    private let embedder: any PhotoEmbedder
    private let queue: IngestQueue
    private let filter: PathFilter
    private let roots: [String]
    private let batchSize: Int
    private let log: Log
    /// Which roots are there (set by the daemon); see `rootIsThere`.
    var rootPresence: RootPresence?
    private var thread: Thread?
    private var recentlyRemoved = RecentlyRemoved()
    /// "device:inode" → the path last stored with it, to recognise a photo
    /// that reappears under a new path before its old path is reported gone.
    /// Only a hint: every use is checked against the disk and the record.
    private var pathsByInode: [String: String] = [:]
    private let finished = DispatchSemaphore(value: 0)
    /// Commits refused for lack of space, retried with backoff (writer thread only).
    private var held = HeldCommits()
    /// Truncated photos that may still be being written (writer thread only).
    private var settling = SettlingFiles()
    /// What status reports, copied from `held` and `settling` under the lock.
    private let stateLock = NSLock()
    private var pausedReason: String?
    private var waitingPhotos = 0
    /// Called after each committed batch (for sd_notify STATUS=).
    var onBatchCommitted: (@Sendable () -> Void)?

    public init(index: PhotoIndex, embedder: any PhotoEmbedder, queue: IngestQueue, filter: PathFilter,
                roots: [String], batchSize: Int, log: Log) {
        self.index = index
        self.embedder = embedder
        self.queue = queue
        self.filter = filter
        self.roots = roots
        self.batchSize = batchSize
        self.log = log
    }

    public func start() {
        let t = Thread { [self] in
            try? index.forEachRecord(includeFloats: false) { record in
                pathsByInode[Self.inodeKey(record.device, record.inode)] = record.path
                return true
            }
            run()
            finished.signal()
        }
        t.name = "photoqd-writer"
        thread = t
        t.start()
    }

    /// Why indexing is paused (the index's disk is full), or nil.
    public var indexingPaused: String? { stateLock.withLock { pausedReason } }

    /// Photos the writer holds outside the queue: embedded but waiting for
    /// disk space, or waiting for a file still being written to settle.
    public var heldPhotoCount: Int { stateLock.withLock { waitingPhotos } }

    private func run() {
        while true {
            if !held.isEmpty {
                guard queue.sleep(until: held.nextAttempt) else { break }
                retryHeld()
                continue
            }
            switch queue.next(maximum: batchSize, gather: 0.05, until: settling.nextDue) {
            case .closed:
                break
            case .timedOut:
                retrySettled()
                continue
            case .work(let files, let other):
                if !files.isEmpty { ingest(files) }
                if let other { apply(other) }
                queue.finished()
                retrySettled()
                continue
            }
            break
        }
        if !held.isEmpty {
            log.warning("stopping with \(held.photoCount) photos not committed (\(held.reason ?? "index storage full")); the next start indexes them")
        }
    }

    /// Commits what is held, in order; stops at the first refusal.
    private func retryHeld() {
        var committed = 0
        while !held.isEmpty {
            let batch = held.batches[0]
            do {
                try index.apply(batch.changes)
                committed += held.removeFirst().photos
                onBatchCommitted?()
            } catch let error as IndexError where error.isStorageFull {
                _ = held.refused(error)
                publishState()
                return
            } catch {
                _ = held.removeFirst()
                if commitOneByOne(batch.changes, batch.what, error, holdingFirst: true) { return }
            }
        }
        held.resumed()
        publishState()
        log.notice("indexing resumed: the index has room again", ["photos.committed": committed])
    }

    private func retrySettled() {
        let due = settling.takeDue()
        publishState()
        if !due.isEmpty { ingest(due) }
    }

    private func publishState() {
        let reason = held.reason, count = held.photoCount + settling.count
        stateLock.withLock {
            pausedReason = reason
            waitingPhotos = count
        }
    }

    /// Waits until the queue is closed and the batch in flight is committed.
    public func waitUntilStopped() {
        if thread != nil { finished.wait() }
        thread = nil
    }

    // MARK: - Tasks

    private func apply(_ task: IngestTask) {
        switch task {
        case .file(let path): ingest([path])
        case .remove(let path): remove(path)
        case .removeTree(let folder): removeTree(folder)
        case .move(let from, let to): move(from: from, to: to)
        case .moveTree(let from, let to): commit([.moveFolder(from: from, to: to)], "move folder \(from) to \(to)")
        case .sweep(let folder): sweep(folder)
        }
    }

    /// Whether `path` is a photo the daemon should hold (a JPEG, under a
    /// root, not excluded, never a symlink: see `LibraryMembership`).
    private func belongs(_ path: String) -> Bool { LibraryMembership(roots: roots, filter: filter).holds(path) }

    /// False while the root holding `path` is not there (unmounted): its
    /// records must stay, so stale tasks for it are dropped, not applied.
    private func rootIsThere(_ path: String) -> Bool {
        guard let root = roots.first(where: { PathBytes.isWithin(path, $0) }) else { return true }
        return (rootPresence?.isPresent(root) ?? true) && FileSystem.isDirectory(root)
    }

    private func remove(_ path: String) {
        if belongs(path), FileIdentity.of(path: path) != nil {
            ingest([path]) // written again since the delete was queued
            return
        }
        if let record = try? index.lookup(path: path) { recentlyRemoved.add(record) }
        commit([.remove(path: path)], "remove \(path)")
    }

    private func removeTree(_ folder: String) {
        if let ids = try? index.ids(inFolder: folder), let records = try? index.records(ids: Array(ids)) {
            for record in records { recentlyRemoved.add(record) }
        }
        commit([.removeFolder(folder)], "remove folder \(folder)")
    }

    static func inodeKey(_ device: UInt64, _ inode: UInt64) -> String { "\(device):\(inode)" }

    /// The changes that re-point a record whose file now lives at `path`
    /// (same device, inode, size, mtime and content) and is gone from its old path.
    private func reappeared(_ path: String, _ identity: FileIdentity) -> [IndexChange]? {
        let key = Self.inodeKey(identity.device, identity.inode)
        guard let old = pathsByInode[key], !PathBytes.same(old, path), FileIdentity.of(path: old) == nil,
              var record = try? index.lookup(path: old), record.matches(identity), !record.vector.isEmpty,
              let hash = try? FileSystem.contentHash(path), hash == record.contentHash else { return nil }
        pathsByInode[key] = path
        record.path = path
        return [.move(from: old, to: path), .upsert(record)]
    }

    /// Re-points a record (same vector) to its new path and refreshes its
    /// file identity; falls back to ingesting when the move cannot be used.
    private func move(from: String, to: String) {
        guard belongs(to), let identity = FileIdentity.of(path: to) else {
            remove(from)
            if belongs(to) { remove(to) }
            return
        }
        if FileIdentity.of(path: from) != nil && belongs(from) {
            ingest([to]) // a copy, not a move: both stay
            return
        }
        do {
            guard var record = try index.lookup(path: from), index.hasAnyEmbedding(id: record.id) else {
                commit([.remove(path: from)], "drop \(from)")
                ingest([to])
                return
            }
            record.path = to
            pathsByInode[Self.inodeKey(identity.device, identity.inode)] = to
            record.device = identity.device
            record.inode = identity.inode
            record.size = UInt64(identity.size)
            record.mtimeNanoseconds = identity.mtimeNanoseconds
            commit([.move(from: from, to: to), .upsert(record)], "move \(from) to \(to)")
        } catch {
            log.error("cannot read the index for a move: \(error)", ["photo.path": from])
        }
    }

    /// Drops records below `folder` whose files are gone or no longer belong.
    private func sweep(_ folder: String) {
        guard rootIsThere(folder) else { return }
        var doomed: [String] = []
        do {
            try index.forEachRecord(includeFloats: false) { record in
                if PathBytes.isWithin(record.path, folder),
                   !belongs(record.path) || FileIdentity.of(path: record.path) == nil {
                    doomed.append(record.path)
                }
                return true
            }
            try index.forEachFailure { failure in
                if PathBytes.isWithin(failure.path, folder), FileIdentity.of(path: failure.path) == nil {
                    doomed.append(failure.path)
                }
                return true
            }
        } catch {
            log.error("cannot read the index to sweep \(folder): \(error)")
            return
        }
        for chunk in stride(from: 0, to: doomed.count, by: 512) {
            commit(doomed[chunk..<min(doomed.count, chunk + 512)].map { .remove(path: $0) }, "sweep \(folder)")
        }
    }

    // MARK: - Embedding

    private struct Candidate {
        var path: String
        var identity: FileIdentity
        var existing: PhotoRecord?
        var hadFailure: Bool
    }

    /// Embeds the new or changed photos among `paths` and commits them with
    /// their failures in one transaction.
    private func ingest(_ paths: [String]) {
        var candidates: [Candidate] = []
        var changes: [IndexChange] = []
        for path in paths { settling.remove(path) }
        for path in paths {
            guard belongs(path), let identity = FileIdentity.of(path: path) else {
                // Vanished, or moved out of sight; but a missing root keeps its records.
                if rootIsThere(path) { changes.append(.remove(path: path)) }
                continue
            }
            do {
                let existing = try index.lookup(path: path)
                if let existing, existing.matches(identity), index.hasCurrentEmbedding(id: existing.id) { continue }
                let failure = try index.failure(path: path)
                if let failure, failure.matches(size: UInt64(identity.size), mtimeNanoseconds: identity.mtimeNanoseconds) {
                    continue // failed before in this very state: not retried until it changes
                }
                if existing == nil, let change = reappeared(path, identity) {
                    changes += change
                    continue
                }
                if existing == nil, var moved = recentlyRemoved.take(identity, contentHash: { try? FileSystem.contentHash(path) }) {
                    moved.path = path // moved in after a delete we could not pair: same file, same vector
                    pathsByInode[Self.inodeKey(identity.device, identity.inode)] = path
                    changes.append(.upsert(moved))
                    continue
                }
                candidates.append(Candidate(path: path, identity: identity, existing: existing, hadFailure: failure != nil))
            } catch {
                log.error("cannot read the index: \(error)", ["photo.path": path])
            }
        }
        if !candidates.isEmpty {
            let started = Deadline.now()
            let results = embedder.embed(imagesAt: candidates.map(\.path))
            let ms = Double(Deadline.now() - started) / 1e6
            log.debug("embedded a batch", ["batch.count": candidates.count, "model.ms": Int(ms)])
            for (candidate, result) in zip(candidates, results) {
                changes += self.changes(for: candidate, result)
            }
        }
        if !changes.isEmpty { commit(changes, "batch of \(paths.count)") }
        publishState()
    }

    private func changes(for c: Candidate, _ result: Result<PhotoEmbedding, any Error>) -> [IndexChange] {
        switch result {
        case .success(let embedding):
            // Hash after decoding so a file rewritten meanwhile shows up as changed next time.
            let hash = (try? FileSystem.contentHash(c.path)) ?? 0
            let record = PhotoRecord(id: c.existing?.id ?? 0, path: c.path, device: c.identity.device, inode: c.identity.inode,
                                     size: UInt64(c.identity.size), mtimeNanoseconds: c.identity.mtimeNanoseconds,
                                     contentHash: hash, modelID: embedder.modelID, vector: embedding.vector,
                                     feature: embedding.feature, taken: embedding.taken, format: embedding.format,
                                     tags: embedding.tags, cells: embedding.cells)
            pathsByInode[Self.inodeKey(c.identity.device, c.identity.inode)] = c.path
            return (c.hadFailure ? [.clearFailure(path: c.path)] : []) + [.upsert(record)]
        case .failure(let error as ImageError) where error == .cancelled:
            return [] // stopping: the next start's scan finds it again
        case .failure(let error as ImageError) where Self.isTruncation(error) && stillBeingWritten(c):
            settling.add(c.path, mtimeNanoseconds: FileIdentity.of(path: c.path)?.mtimeNanoseconds ?? c.identity.mtimeNanoseconds)
            log.debug("truncated photo may still be being written; trying again once it is quiet", ["photo.path": c.path])
            return []
        case .failure(let error):
            let reason = FailureReason.text(for: error)
            if error is PhotoTooSmall {
                log.debug("skipped: \(reason)", ["photo.path": c.path]) // a skip, not a fault
            } else {
                log.warning("cannot index photo: \(reason)", ["photo.path": c.path])
            }
            let failure = FailureRecord(path: c.path, reason: reason, size: UInt64(c.identity.size),
                                        mtimeNanoseconds: c.identity.mtimeNanoseconds, recordedAt: Int64(time(nil)))
            // An overwritten photo that no longer decodes must not keep its old vector.
            return (c.existing != nil ? [.remove(path: c.path)] : []) + [.recordFailure(failure)]
        }
    }

    private static func isTruncation(_ error: ImageError) -> Bool {
        if case .truncated = error { return true }
        return false
    }

    /// A truncated photo modified moments ago, or changed since it was read,
    /// is most likely still being copied in.
    private func stillBeingWritten(_ c: Candidate) -> Bool {
        let now = FileIdentity.of(path: c.path)
        return SettlingFiles.mayStillBeWriting(mtimeNanoseconds: now?.mtimeNanoseconds ?? c.identity.mtimeNanoseconds,
                                               changedSinceRead: now != nil && now != c.identity)
    }

    /// Commits `changes` in one transaction; when that fails, one by one so a
    /// single bad change (say, an over-long path) cannot block the rest. When
    /// the index's disk is full the changes are held and retried with backoff
    /// (logged once), and the writer takes no new work until they are in.
    private func commit(_ changes: [IndexChange], _ what: String) {
        if !held.isEmpty {
            held.hold(changes, what)
            return
        }
        do {
            try index.apply(changes)
            onBatchCommitted?()
        } catch let error as IndexError where error.isStorageFull {
            holdForSpace(changes, what, error)
        } catch {
            commitOneByOne(changes, what, error)
        }
    }

    private func holdForSpace(_ changes: [IndexChange], _ what: String, _ error: IndexError, first: Bool = false) {
        held.hold(changes, what, first: first)
        if held.refused(error) {
            log.error("indexing paused, the index cannot be written: \(held.reason ?? "storage full"); photos stay pending and are committed once there is space",
                      ["photos.held": held.photoCount])
        }
        publishState()
    }

    /// Returns true when the disk filled up part way (the rest is held).
    @discardableResult
    private func commitOneByOne(_ changes: [IndexChange], _ what: String, _ error: any Error, holdingFirst: Bool = false) -> Bool {
        log.warning("could not commit \(what) in one transaction (\(error)); retrying change by change")
        for (i, change) in changes.enumerated() {
            do {
                try index.apply([change])
            } catch let error as IndexError where error.isStorageFull {
                holdForSpace(Array(changes[i...]), what, error, first: holdingFirst)
                return true
            } catch {
                log.error("index change failed: \(error)")
            }
        }
        return false
    }
}

extension PhotoRecord {
    /// Whether the file is in the state this record was made from.
    func matches(_ identity: FileIdentity) -> Bool {
        size == UInt64(identity.size) && mtimeNanoseconds == identity.mtimeNanoseconds
            && device == identity.device && inode == identity.inode
    }
}
