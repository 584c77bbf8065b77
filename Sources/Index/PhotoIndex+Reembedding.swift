/// Re-embedding in the background: after a model change the stored model
/// keeps answering searches while the new model's embeddings are staged in
/// tables of their own; when every photo has one, a single commit puts them
/// in place, so no search ever sees a half-empty index or two models' vectors.
extension PhotoIndex {
    /// How far a re-embedding has come.
    public struct ReembeddingProgress: Sendable, Equatable {
        /// Photos with a staged embedding of the new model.
        public var staged: Int
        /// Photos in the index.
        public var photos: Int
    }

    /// nil unless a re-embedding is in progress.
    public var reembeddingProgress: ReembeddingProgress? {
        guard case .reembedding = compatibility else { return nil }
        let staged = stateLock.withLock { state.stagedIDs.count }
        let photos = (try? environment.read { try $0.count(environment.photos) }) ?? staged
        return ReembeddingProgress(staged: staged, photos: photos)
    }

    /// Whether the photo has a vector of this index's model (`modelID`):
    /// searchable, or staged while re-embedding. A photo without one is due for embedding.
    public func hasCurrentEmbedding(id: UInt64) -> Bool {
        stateLock.withLock {
            if case .reembedding = state.compatibility { return state.stagedIDs.contains(id) }
            return state.search.contains(id: id)
        }
    }

    /// Whether the photo has a vector of either model (searchable or staged).
    public func hasAnyEmbedding(id: UInt64) -> Bool {
        stateLock.withLock { state.search.contains(id: id) || state.stagedIDs.contains(id) }
    }

    /// Starts staging this index's model while the stored one keeps serving:
    /// its vectors are loaded for search, and records of the new model are
    /// written to the staged tables (`apply`) until `completeReembedding()`.
    /// Survives a restart: opening again with the same model resumes it.
    /// Returns the ids of records whose stored rows are unreadable (for `removeRecords(ids:)`).
    @discardableResult
    public func beginReembedding() throws -> [UInt64] {
        try writer.withLock {
            guard case let .needsReembedding(stored, storedDimension, storedFeatures) = compatibility else {
                throw IndexError(.invalidArgument, "the index in \(environment.directory) is not waiting for a re-embedding (\(compatibility))")
            }
            guard !stored.isEmpty, storedDimension > 0, storedDimension <= Int(UInt16.max) else {
                throw IndexError(.corruptRecord, "the index in \(environment.directory) does not say which model made its vectors; call prepareForNewModel()")
            }
            try environment.write { txn in
                try Self.clearStaging(txn, environment)
                let meta = MetaStore(txn: txn, database: environment.meta)
                try meta.set(MetaKey.stagedModelID, modelID)
                try meta.set(MetaKey.stagedDimension, String(dimension))
                try meta.set(MetaKey.stagedFeatureDimension, String(featureDimension))
            }
            let serving = VectorSearch(dimension: storedDimension, exactVectors: StoredVectors(environment: environment, modelID: stored))
            let catalog = PhotoCatalog()
            let unreadable = try Self.loadSearchRows(environment, into: serving, catalog: catalog, progress: nil)
            stateLock.withLock {
                state = State(compatibility: .reembedding(servingModelID: stored, servingDimension: storedDimension,
                                                          servingFeatureDimension: storedFeatures),
                              search: serving, catalog: catalog)
            }
            return unreadable
        }
    }

    /// Puts every staged embedding in place of the serving model's in one
    /// write transaction and adopts this index's model. A photo with no
    /// staged embedding loses its old vector (it is due for embedding:
    /// `hasCurrentEmbedding` is false). Searches keep reading the old vectors
    /// while the transaction is built; `aroundSwitch` wraps the commit and the
    /// swap of `search`, so a caller can hold its own lock over that moment
    /// only (and change the model its queries are embedded with). Returns the
    /// number of photos that had no staged embedding.
    @discardableResult
    public func completeReembedding(aroundSwitch: (_ commitAndSwitch: () throws -> Void) throws -> Void = { try $0() }) throws -> Int {
        try writer.withLock {
            guard case .reembedding = compatibility else {
                throw IndexError(.invalidArgument, "no re-embedding is in progress in \(environment.directory)")
            }
            let search = VectorSearch(dimension: dimension, exactVectors: StoredVectors(environment: environment, modelID: modelID))
            let catalog = PhotoCatalog()
            let unstaged = try environment.write({ txn -> Int in
                // The closure may run again after the map grows, so it starts fresh.
                search.removeAll()
                catalog.removeAll()
                var switcher = ModelSwitch(index: self, txn: txn, search: search, catalog: catalog)
                try switcher.run()
                try Self.clearStaging(txn, environment)
                let meta = MetaStore(txn: txn, database: environment.meta)
                try meta.set(MetaKey.modelID, modelID)
                try meta.set(MetaKey.dimension, String(dimension))
                try meta.set(MetaKey.featureDimension, String(featureDimension))
                return switcher.unstaged
            }, aroundCommit: { commit in
                try withoutActuallyEscaping(commit) { commit in
                    try aroundSwitch {
                        try commit()
                        stateLock.withLock { state = State(compatibility: .compatible, search: search, catalog: catalog) }
                    }
                }
            })
            environment.releaseMappedPages()
            return unstaged
        }
    }

    /// Empties the staged tables and forgets the staged model.
    static func clearStaging(_ txn: LMDBTransaction, _ env: LMDBEnvironment) throws {
        for table in [env.stagedRecords, env.stagedFeatures, env.stagedCells] { try txn.removeAll(table) }
        let meta = MetaStore(txn: txn, database: env.meta)
        for key in [MetaKey.stagedModelID, MetaKey.stagedDimension, MetaKey.stagedFeatureDimension] { try meta.set(key, nil) }
    }

    static func stagedIDs(_ env: LMDBEnvironment) throws -> Set<UInt64> {
        var ids = Set<UInt64>()
        try env.read { txn in
            try txn.forEach(env.stagedRecords) { key, _ in
                if let id = IndexKeys.decodePhotoKey(key) { ids.insert(id) }
                return true
            }
        }
        return ids
    }
}

/// The switch's one pass over the records, inside its write transaction:
/// each record takes its staged vector, tags, feature and cells, or loses
/// the old model's; the new search is filled as it goes.
private struct ModelSwitch {
    let index: PhotoIndex
    let txn: LMDBTransaction
    let search: VectorSearch
    let catalog: PhotoCatalog
    private(set) var unstaged = 0
    private var rows: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)] = []
    private var summaries: [(id: UInt64, hash: UInt64, format: String)] = []
    private var env: LMDBEnvironment { index.environment }

    init(index: PhotoIndex, txn: LMDBTransaction, search: VectorSearch, catalog: PhotoCatalog) {
        (self.index, self.txn, self.search, self.catalog) = (index, txn, search, catalog)
    }

    mutating func run() throws {
        var ids: [UInt64] = []
        try txn.forEach(env.photos) { key, _ in
            if let id = IndexKeys.decodePhotoKey(key) { ids.append(id) }
            return true
        }
        for id in ids { try switchRecord(id) }
        try flush()
    }

    private mutating func switchRecord(_ id: UInt64) throws {
        let key = IndexKeys.photo(id)
        let live = try txn.withValue(env.photos, key: key) { try? PhotoRecord(decoding: $0, includeFloats: false) } ?? nil
        let staged = try txn.withValue(env.stagedRecords, key: key) { try? PhotoRecord(decoding: $0) } ?? nil
        guard var record = live else {
            // Unreadable: nothing of the old model may stay searchable; the next open drops it.
            for table in [env.features, env.cells, env.searchRows] { try txn.delete(table, key: key) }
            return
        }
        guard let staged, staged.vector.count == index.dimension, staged.modelID == index.modelID else {
            unstaged += 1
            (record.vector, record.modelID, record.tags) = ([], index.modelID, nil)
            try txn.put(env.photos, key: key, value: record.encoded())
            for table in [env.features, env.cells, env.searchRows] { try txn.delete(table, key: key) }
            return
        }
        (record.vector, record.modelID, record.tags) = (staged.vector, staged.modelID, staged.tags)
        try txn.put(env.photos, key: key, value: record.encoded())
        try move(from: env.stagedFeatures, to: env.features, key: key)
        try move(from: env.stagedCells, to: env.cells, key: key)
        try txn.put(env.searchRows, key: key, value: SearchRowCoding.encoded(record))
        rows.append((id, record.vector, record.searchDateNanoseconds))
        summaries.append((id, record.contentHash, record.format))
        if rows.count >= 4096 { try flush() }
    }

    private func move(from staged: LMDBDatabase, to live: LMDBDatabase, key: [UInt8]) throws {
        if let bytes = try txn.get(staged, key: key) {
            try txn.put(live, key: key, value: bytes)
        } else {
            try txn.delete(live, key: key)
        }
    }

    private mutating func flush() throws {
        try search.upsert(rows)
        catalog.set(summaries)
        rows.removeAll(keepingCapacity: true)
        summaries.removeAll(keepingCapacity: true)
    }
}
