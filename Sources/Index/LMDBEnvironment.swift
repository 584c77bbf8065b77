internal import CLMDB
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The LMDB environment in a state directory, with photoq's named databases.
///
/// Threading rules (LMDB's, enforced here):
/// - One writer at a time: `write` calls are serialised by a mutex, and each
///   write transaction lives inside one synchronous closure on one thread.
/// - Readers never wait for the writer (MVCC). Read transactions are opened
///   with `MDB_NOTLS`, so any thread may read; they wait only during the
///   instant the map size changes, which needs every transaction of this
///   process closed (growth waits for running readers, not the reverse).
/// - Don't start a `write` inside a `read` or `write` closure (the writer
///   would wait for its own reader); nested reads are allowed.
///
/// The map grows on `MDB_MAP_FULL`: the failed transaction is aborted, the
/// map size doubled with `mdb_env_set_mapsize` while no transaction is
/// open, and the whole write closure runs again. Write closures must
/// therefore read what they need through the transaction (they may run
/// more than once) and keep no side effects outside it.
public final class LMDBEnvironment: @unchecked Sendable {
    /// The map size used for a new environment; it doubles as needed.
    public static let defaultMapSize = 256 << 20
    /// LMDB's compiled-in key size limit (`mdb_env_get_maxkeysize`, 511 by default).
    public static let maxKeySize = 511
    /// Map growth stops here; an index this big means something is wrong.
    static let maximumMapSize = 1 << 42

    public let directory: String
    /// id → encoded PhotoRecord.
    public let photos: LMDBDatabase
    /// path key → id + path.
    public let paths: LMDBDatabase
    /// key → value: schema version, model id, dimension, id counter, caller settings.
    public let meta: LMDBDatabase
    /// path key → encoded FailureRecord.
    public let failed: LMDBDatabase
    /// Files a scan met and left out on purpose (`PhotoIndex+Skips`), keyed like `failed`.
    public let skipped: LMDBDatabase
    /// id → the photo's backbone feature in halves (`FeatureCoding`), apart
    /// from the record so scans of the records do not read it.
    public let features: LMDBDatabase
    /// id → the photo's search row (`SearchRowCoding`): what the in-memory
    /// search holds, so start-up copies rows instead of decoding records.
    public let searchRows: LMDBDatabase
    /// id → the photo's grid cells for the reranker (`CellCoding`), read
    /// only for the few candidates a query reranks.
    public let cells: LMDBDatabase
    /// While a new model re-embeds the library in the background: id → the
    /// photo's record as the new model sees it (vector, tags), its feature
    /// and its cells, kept apart until every photo has one (`PhotoIndex+Reembedding`).
    public let stagedRecords: LMDBDatabase
    public let stagedFeatures: LMDBDatabase
    public let stagedCells: LMDBDatabase
    /// How many stale reader slots `mdb_reader_check` cleared at open.
    public let staleReadersClearedAtOpen: Int

    private var env: OpaquePointer?
    /// The data file's absolute path, as /proc/self/maps names its mapping.
    private let dataFile: String
    private let lock: StateDirectoryLock?
    private let writer = PThreadMutex()
    /// Held shared by every transaction, exclusively while the map is resized.
    /// Readers are preferred: a long scan must not make queries queue behind
    /// a pending resize (the resize waits for a moment with no reader).
    private let transactions = ReadWriteLock(preferWriters: false)
    private let growthCounter = PThreadMutex()
    private var growths = 0

    /// Opens (creating if needed) the environment in `directory`.
    /// - Parameters:
    ///   - mapSize: the smallest map size to use; an existing environment
    ///     keeps the larger size it grew to.
    ///   - lockDirectory: take the state directory's lock (only tests that
    ///     simulate a second process turn it off).
    public init(directory: String, mapSize: Int = LMDBEnvironment.defaultMapSize, lockDirectory: Bool = true) throws {
        self.directory = directory
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw IndexError(.io, "cannot create the state directory \(directory)", cause: String(cString: strerror(errno)))
        }
        lock = lockDirectory ? try StateDirectoryLock(directory: directory) : nil
        dataFile = Self.absolutePath(directory) + "/data.mdb"

        var handle: OpaquePointer?
        try lmdbCheck(mdb_env_create(&handle), "creating an environment")
        do {
            try lmdbCheck(mdb_env_set_maxdbs(handle, 16), "setting maxdbs")
            try lmdbCheck(mdb_env_set_mapsize(handle, max(mapSize, 1 << 16)), "setting the map size")
            try lmdbCheck(mdb_env_open(handle, directory, UInt32(MDB_NOTLS), 0o600), "opening \(directory)")
            // Keep the size an earlier run grew to (size 0 adopts the one
            // recorded in the file) rather than growing again step by step.
            try lmdbCheck(mdb_env_set_mapsize(handle, 0), "adopting the recorded map size")
            var info = MDB_envinfo()
            mdb_env_info(handle, &info)
            if info.me_mapsize < mapSize {
                try lmdbCheck(mdb_env_set_mapsize(handle, mapSize), "setting the map size")
            }
            var dead: Int32 = 0
            try lmdbCheck(mdb_reader_check(handle, &dead), "checking for stale readers")
            staleReadersClearedAtOpen = Int(dead)

            var txn: OpaquePointer?
            try lmdbCheck(mdb_txn_begin(handle, nil, 0, &txn), "starting the set-up transaction")
            func openDatabase(_ name: String) throws -> LMDBDatabase {
                var dbi: MDB_dbi = 0
                try lmdbCheck(mdb_dbi_open(txn, name, UInt32(MDB_CREATE), &dbi), "opening database \(name)")
                return LMDBDatabase(handle: dbi, name: name)
            }
            do {
                photos = try openDatabase("photos")
                paths = try openDatabase("paths")
                meta = try openDatabase("meta")
                failed = try openDatabase("failed")
                skipped = try openDatabase("skipped")
                features = try openDatabase("features")
                searchRows = try openDatabase("searchrows")
                cells = try openDatabase("cells")
                stagedRecords = try openDatabase("staged.records")
                stagedFeatures = try openDatabase("staged.features")
                stagedCells = try openDatabase("staged.cells")
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            try lmdbCheck(mdb_txn_commit(txn), "committing the set-up transaction")
        } catch {
            mdb_env_close(handle)
            lock?.close()
            throw error
        }
        env = handle
    }

    deinit { close() }

    private static func absolutePath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Closes the environment and releases the directory lock. Waits for
    /// running transactions; later calls throw `.closed`.
    public func close() {
        writer.withLock {
            transactions.withWriteLock {
                if let env { mdb_env_close(env) }
                env = nil
            }
        }
        lock?.close()
    }

    /// The current map size in bytes.
    public var mapSize: Int {
        transactions.withReadLock {
            guard let env else { return 0 }
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            return info.me_mapsize
        }
    }

    /// Drops this process's mapping of the index's pages (`MADV_DONTNEED`):
    /// pages a full scan read stay in the kernel's page cache, but no longer
    /// count in the daemon's resident memory. Safe at any time, with readers
    /// running: the map is read-only and shared, so a page is mapped again,
    /// unchanged, when next read.
    public func releaseMappedPages() {
        transactions.withReadLock {
            guard env != nil else { return }
            for range in MappedRanges.of(file: dataFile) { _ = madvise(range.start, range.length, MADV_DONTNEED) }
        }
    }

    /// How many times the map has been grown since open.
    public var mapGrowthCount: Int { growthCounter.withLock { growths } }

    /// Runs `body` in a read-only transaction.
    public func read<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try transactions.withReadLock {
                    let txn = try begin(readOnly: true)
                    defer { mdb_txn_abort(txn) }
                    return try body(LMDBTransaction(txn: txn, isWritable: false))
                }
            } catch let error as IndexError where error.lmdbReturnCode == MDB_MAP_RESIZED {
                try adoptResizedMap()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it; nothing is visible
    /// to readers, or survives a crash, unless the commit succeeds. Throwing
    /// from `body` aborts. On `MDB_MAP_FULL` the map grows and `body` reruns.
    public func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        try write(body, aroundCommit: { try $0() })
    }

    /// `write`, with the commit run inside `aroundCommit`: a caller that must
    /// switch other state at the very moment the transaction becomes visible
    /// (the model a search uses) holds its own lock around the commit only,
    /// not around the work of the transaction. `aroundCommit` must call its
    /// argument once; if it does not, the transaction is aborted.
    public func write<R>(_ body: (LMDBTransaction) throws -> R,
                         aroundCommit: (_ commit: () throws -> Void) throws -> Void) throws -> R {
        try writer.withLock {
            while true {
                do {
                    return try transactions.withReadLock {
                        let txn = try begin(readOnly: false)
                        let result: R
                        do {
                            result = try body(LMDBTransaction(txn: txn, isWritable: true))
                        } catch {
                            mdb_txn_abort(txn)
                            throw error
                        }
                        var finished = false
                        do {
                            try aroundCommit {
                                guard !finished else { return }
                                // mdb_txn_commit frees the transaction even when it fails.
                                finished = true
                                let rc = mdb_txn_commit(txn)
                                // LMDB reports a short page write as EIO: on a file
                                // system with no room left, that is a full disk.
                                try lmdbCheck(rc == EIO && fileSystemIsFull ? ENOSPC : rc, "committing a write transaction")
                            }
                        } catch {
                            if !finished { mdb_txn_abort(txn) }
                            throw error
                        }
                        guard finished else {
                            mdb_txn_abort(txn)
                            throw IndexError(.invalidArgument, "a write transaction's commit was never called")
                        }
                        return result
                    }
                } catch let error as IndexError where error.lmdbReturnCode == MDB_MAP_FULL {
                    try growMap()
                } catch let error as IndexError where error.lmdbReturnCode == MDB_MAP_RESIZED {
                    try adoptResizedMap()
                }
            }
        }
    }

    /// Whether the file system holding the index has (almost) no space left
    /// for this user: a write of a few pages would not fit.
    var fileSystemIsFull: Bool {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize) < Self.fullFileSystemBytes
    }

    /// Free space below which a short write counts as a full disk.
    static let fullFileSystemBytes: UInt64 = 8 << 20

    /// Applies a batch of puts and deletes in one transaction.
    public func apply(_ batch: [LMDBWrite]) throws {
        try write { txn in
            for change in batch {
                switch change {
                case let .put(database, key, value): try txn.put(database, key: key, value: value)
                case let .delete(database, key): try txn.delete(database, key: key)
                }
            }
        }
    }

    /// Clears reader slots left by dead processes (`mdb_reader_check`);
    /// returns how many were cleared. Also run at open.
    @discardableResult
    public func clearStaleReaders() throws -> Int {
        try transactions.withReadLock {
            guard let env else { throw closedError() }
            var dead: Int32 = 0
            try lmdbCheck(mdb_reader_check(env, &dead), "checking for stale readers")
            return Int(dead)
        }
    }

    private func begin(readOnly: Bool) throws -> OpaquePointer {
        guard let env else { throw closedError() }
        var txn: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn),
                      readOnly ? "starting a read transaction" : "starting a write transaction")
        return txn!
    }

    /// Doubles the map. Called by the writer with no transaction of its own
    /// open; the exclusive lock waits for readers to finish.
    private func growMap() throws {
        try transactions.withWriteLock {
            guard let env else { throw closedError() }
            var info = MDB_envinfo()
            mdb_env_info(env, &info)
            let newSize = info.me_mapsize * 2
            guard newSize <= Self.maximumMapSize else {
                throw IndexError(.lmdb, "the index map would exceed \(Self.maximumMapSize >> 30) GiB in \(directory)",
                                 cause: String(cString: mdb_strerror(MDB_MAP_FULL)), lmdbReturnCode: MDB_MAP_FULL)
            }
            try lmdbCheck(mdb_env_set_mapsize(env, newSize), "growing the map to \(newSize) bytes")
        }
        growthCounter.withLock { growths += 1 }
    }

    /// Another process grew the map (not expected with the directory lock,
    /// but LMDB allows it): size 0 adopts the size recorded in the file.
    private func adoptResizedMap() throws {
        try transactions.withWriteLock {
            guard let env else { throw closedError() }
            try lmdbCheck(mdb_env_set_mapsize(env, 0), "adopting a map grown by another process")
        }
    }

    private func closedError() -> IndexError {
        IndexError(.closed, "the index in \(directory) was used after close()")
    }
}
