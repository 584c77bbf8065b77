#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The photo index: records in LMDB plus an in-memory `VectorSearch` kept in
/// step with them.
///
/// Writes (`apply`, `upsert`, `remove`, `move`, ...) run one at a time, each
/// batch in one LMDB transaction; the vector matrix is updated only after the
/// commit succeeds. Reads and searches run concurrently from any thread.
///
/// The meta database records the schema version and the model (id, vector
/// dimension, feature dimension) that produced the stored vectors. Opening
/// with another model never mixes vectors: `compatibility` becomes
/// `.needsReembedding`; then either `beginReembedding()` keeps the old
/// vectors searchable while the new model's are staged apart, switching in
/// one commit when every photo has one (`PhotoIndex+Reembedding`), or
/// `prepareForNewModel()` clears them at once.
///
/// Schema 2 keeps each photo's backbone feature apart from its record (the
/// features table, in halves); schema 3 adds the searchrows table, each
/// photo's int8 search row written in the same transaction as its record,
/// which is all start-up reads. Older indexes are migrated when opened
/// (`IndexMigration`). The vector search holds the int8 rows in memory and
/// rescores its shortlist with the Float32 vectors read from the records.
public final class PhotoIndex: @unchecked Sendable {
    public static let schemaVersion = 3

    /// Whether the stored vectors came from the model this index was opened with.
    public enum Compatibility: Sendable, Equatable {
        case compatible
        /// Nothing is searchable or writable until `beginReembedding()` or `prepareForNewModel()`.
        case needsReembedding(storedModelID: String, storedDimension: Int, storedFeatureDimension: Int)
        /// The stored model's vectors answer searches while this index's
        /// model's are staged (`beginReembedding()`, or resumed at open).
        case reembedding(servingModelID: String, servingDimension: Int, servingFeatureDimension: Int)
    }

    /// Counts for status displays.
    public struct Counts: Sendable, Equatable {
        /// Photo records stored.
        public var photos: Int
        /// Records with a vector (searchable).
        public var embedded: Int
        /// Recorded failures.
        public var failed: Int
        /// Records waiting for (re-)embedding.
        public var needingEmbedding: Int { photos - embedded }
    }

    public let environment: LMDBEnvironment
    public let modelID: String
    public let dimension: Int
    public let featureDimension: Int
    /// The vectors of every searchable photo, for nearest-neighbour queries:
    /// the serving model's (`servingModelID`), which differs from `modelID`
    /// while a new model re-embeds. Replaced when a re-embedding switches.
    public var search: VectorSearch { stateLock.withLock { state.search } }
    /// Content hashes and formats of the photos in `search`, kept in step with it.
    public var catalog: PhotoCatalog { stateLock.withLock { state.catalog } }
    /// Ids whose stored record could not be decoded at open (left out of
    /// `search`; `removeRecords(ids:)` drops them so they get re-ingested).
    public let corruptRecordIDsAtOpen: [UInt64]

    let writer = PThreadMutex()
    let stateLock = PThreadMutex()
    /// What searches and writes see; changed only under `writer` (and `stateLock`).
    var state: State

    struct State {
        var compatibility: Compatibility
        var search: VectorSearch
        var catalog: PhotoCatalog
        /// While re-embedding: the ids with a staged embedding of `modelID`.
        var stagedIDs: Set<UInt64> = []
    }

    public var compatibility: Compatibility { stateLock.withLock { state.compatibility } }

    /// The model whose vectors `search` holds.
    public var servingModelID: String {
        if case let .reembedding(serving, _, _) = compatibility { return serving }
        return modelID
    }

    /// How long the last open took to load the vectors, in seconds.
    public private(set) var loadSeconds: Double = 0
    /// CPU seconds the last open spent loading them (all threads of the load;
    /// steadier than `loadSeconds` on a busy machine).
    public private(set) var loadCPUSeconds: Double = 0

    /// Opens or creates the index in `stateDirectory` for a model.
    /// - Parameters:
    ///   - dimension: D of the joint-space vectors.
    ///   - featureDimension: length of the stored backbone features (0: none stored).
    ///   - mapSize: initial LMDB map size; it grows as needed.
    ///   - migrationProgress: called while an older index is migrated (records done, total).
    public init(stateDirectory: String, modelID: String, dimension: Int, featureDimension: Int = 1280,
                mapSize: Int = LMDBEnvironment.defaultMapSize,
                migrationProgress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws {
        guard dimension > 0, dimension <= Int(UInt16.max), featureDimension >= 0, !modelID.isEmpty else {
            throw IndexError(.invalidArgument, "model id must be non-empty and dimensions positive (got '\(modelID)', \(dimension), \(featureDimension))")
        }
        let environment = try LMDBEnvironment(directory: stateDirectory, mapSize: mapSize)
        self.environment = environment
        self.modelID = modelID
        self.dimension = dimension
        self.featureDimension = featureDimension
        do {
            let unreadable = try IndexMigration.migrateIfNeeded(environment, progress: migrationProgress)
            let compatibility = try Self.checkModel(environment, modelID: modelID, dimension: dimension,
                                                    featureDimension: featureDimension)
            var servingDimension = dimension, servingModel = modelID
            if case let .reembedding(m, d, _) = compatibility { (servingModel, servingDimension) = (m, d) }
            state = State(compatibility: compatibility,
                          search: VectorSearch(dimension: servingDimension,
                                               exactVectors: StoredVectors(environment: environment, modelID: servingModel)),
                          catalog: PhotoCatalog())
            let started = Self.monotonicSeconds()
            let startedCPU = Self.processCPUSeconds()
            if case .needsReembedding = compatibility {
                corruptRecordIDsAtOpen = []
            } else {
                corruptRecordIDsAtOpen = Array(Set(unreadable).union(try Self.loadSearchRows(
                    environment, into: state.search, catalog: state.catalog, progress: migrationProgress))).sorted()
            }
            if case .reembedding = compatibility { state.stagedIDs = try Self.stagedIDs(environment) }
            loadSeconds = Self.monotonicSeconds() - started
            loadCPUSeconds = Self.processCPUSeconds() - startedCPU
        } catch {
            environment.close()
            throw error
        }
    }

    /// Closes LMDB and releases the state directory.
    public func close() { environment.close() }

    // MARK: - Model identity

    private static func checkModel(_ env: LMDBEnvironment, modelID: String, dimension: Int,
                                   featureDimension: Int) throws -> Compatibility {
        try env.write { txn in
            let meta = MetaStore(txn: txn, database: env.meta)
            guard let storedSchema = try meta.int(MetaKey.schemaVersion) else {
                // A new index: record who fills it.
                try meta.set(MetaKey.schemaVersion, String(schemaVersion))
                try meta.set(MetaKey.modelID, modelID)
                try meta.set(MetaKey.dimension, String(dimension))
                try meta.set(MetaKey.featureDimension, String(featureDimension))
                try meta.set(MetaKey.nextID, "1")
                return .compatible
            }
            guard storedSchema <= schemaVersion else {
                throw IndexError(.corruptRecord, "the index in \(env.directory) has schema \(storedSchema), newer than this program (\(schemaVersion)); upgrade photoq or use another --db")
            }
            let storedModel = try meta.string(MetaKey.modelID) ?? ""
            let storedDimension = try meta.int(MetaKey.dimension) ?? 0
            let storedFeatures = try meta.int(MetaKey.featureDimension) ?? 0
            let staged = try meta.string(MetaKey.stagedModelID)
            if storedModel == modelID && storedDimension == dimension && storedFeatures == featureDimension {
                // Back to the serving model before a re-embedding finished: its staging goes.
                if staged != nil { try clearStaging(txn, env) }
                return .compatible
            }
            if staged == modelID, try meta.int(MetaKey.stagedDimension) == dimension,
               try meta.int(MetaKey.stagedFeatureDimension) == featureDimension {
                return .reembedding(servingModelID: storedModel, servingDimension: storedDimension,
                                    servingFeatureDimension: storedFeatures)
            }
            return .needsReembedding(storedModelID: storedModel, storedDimension: storedDimension,
                                     storedFeatureDimension: storedFeatures)
        }
    }

    /// Clears every stored vector and feature and adopts this index's model:
    /// records, ids and paths stay, each with `needsEmbedding` set, so the
    /// daemon re-embeds them (`pathsNeedingEmbedding()`) without re-ingesting.
    /// Safe to interrupt: the model changes in meta only after the last batch.
    public func prepareForNewModel() throws {
        try writer.withLock {
            try environment.write { try Self.clearStaging($0, environment) }
            var start: UInt64 = 0
            while true {
                // Batches bound the size of each write transaction.
                let (cleared, next) = try environment.write { txn -> (Int, UInt64?) in
                    var ids: [UInt64] = []
                    try txn.forEach(environment.photos, from: IndexKeys.photo(start)) { key, _ in
                        if let id = IndexKeys.decodePhotoKey(key) { ids.append(id) }
                        return ids.count < 2048
                    }
                    for id in ids {
                        let key = IndexKeys.photo(id)
                        try txn.delete(environment.features, key: key)
                        try txn.delete(environment.searchRows, key: key)
                        try txn.delete(environment.cells, key: key)
                        guard let bytes = try txn.get(environment.photos, key: key) else { continue }
                        guard var record = try? PhotoRecord(decoding: bytes) else { continue }
                        record.vector = []
                        record.feature = []
                        record.modelID = modelID
                        try txn.put(environment.photos, key: key, value: record.encoded())
                    }
                    return (ids.count, ids.last.map { $0 + 1 })
                }
                guard cleared == 2048, let next else { break }
                start = next
            }
            try environment.write { txn in
                let meta = MetaStore(txn: txn, database: environment.meta)
                try meta.set(MetaKey.modelID, modelID)
                try meta.set(MetaKey.dimension, String(dimension))
                try meta.set(MetaKey.featureDimension, String(featureDimension))
            }
            let emptied = VectorSearch(dimension: dimension, exactVectors: StoredVectors(environment: environment, modelID: modelID))
            stateLock.withLock { state = State(compatibility: .compatible, search: emptied, catalog: PhotoCatalog()) }
        }
    }

    func requireCompatible() throws {
        if case let .needsReembedding(stored, storedDimension, _) = compatibility {
            throw IndexError(.modelMismatch, "the index in \(environment.directory) holds \(storedDimension)-d vectors of model '\(stored)', not '\(modelID)' (\(dimension)-d); call prepareForNewModel() to re-embed")
        }
    }
}

extension PhotoIndex {
    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// The process's CPU time (an index opens before the daemon's other threads start).
    static func processCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}

/// The Float32 vectors the search rescores with, read from the records.
final class StoredVectors: ExactVectorSource, @unchecked Sendable {
    private unowned let environment: LMDBEnvironment
    /// The model whose vectors the search was built from.
    private let modelID: String

    init(environment: LMDBEnvironment, modelID: String) {
        self.environment = environment
        self.modelID = modelID
    }

    /// A record garbled on disk (start-up reads rows, not records, so it can
    /// still be searchable) gives nil: its photo drops out of the results
    /// rather than failing every query whose shortlist it enters.
    func exactVectors(ids: [UInt64]) throws -> [[Float]?]? {
        try environment.read { txn in
            var superseded = false
            let vectors = try ids.map { id in
                try txn.withValue(environment.photos, key: IndexKeys.photo(id)) { bytes -> [Float]? in
                    guard let record = try? PhotoRecord(decoding: bytes), !record.vector.isEmpty else { return nil }
                    guard record.modelID == modelID else {
                        superseded = true
                        return nil
                    }
                    return record.vector
                } ?? nil
            }
            return superseded ? nil : vectors
        }
    }
}

/// String values in the meta database.
struct MetaStore {
    let txn: LMDBTransaction
    let database: LMDBDatabase

    func string(_ key: String) throws -> String? {
        try txn.get(database, key: Array(key.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    func int(_ key: String) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text) else {
            throw IndexError(.corruptRecord, "meta value \(key) = '\(text)' is not an integer")
        }
        return value
    }

    func set(_ key: String, _ value: String?) throws {
        if let value {
            try txn.put(database, key: Array(key.utf8), value: Array(value.utf8))
        } else {
            try txn.delete(database, key: Array(key.utf8))
        }
    }
}
