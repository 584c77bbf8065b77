extension PhotoIndex {
    /// The id stored for `path`, if any.
    public func id(forPath path: String) throws -> UInt64? {
        try environment.read { try Self.id(atPath: path, txn: $0, env: environment) }
    }

    /// The record at `path`, with its vector and feature.
    public func lookup(path: String) throws -> PhotoRecord? {
        try environment.read { txn in
            guard let id = try Self.id(atPath: path, txn: txn, env: environment) else { return nil }
            return try Self.storedRecord(id, includeFloats: true, txn: txn, env: environment)
        }
    }

    /// The record with `id`, with its vector and feature.
    public func record(id: UInt64) throws -> PhotoRecord? {
        try environment.read { txn in try Self.storedRecord(id, includeFloats: true, txn: txn, env: environment) }
    }

    /// Records for several ids in one read transaction (missing ids are skipped).
    public func records(ids: [UInt64], includeFloats: Bool = true) throws -> [PhotoRecord] {
        try environment.read { txn in
            try ids.compactMap { id in try Self.storedRecord(id, includeFloats: includeFloats, txn: txn, env: environment) }
        }
    }

    /// Records for several ids with their vectors, features and stored
    /// cells, in one read transaction (missing ids are skipped): what a
    /// reranker reads for its candidates. A garbled cells entry reads as none.
    public func recordsWithCells(ids: [UInt64]) throws -> [PhotoRecord] {
        try environment.read { txn in
            try ids.compactMap { id in
                guard var record = try Self.storedRecord(id, includeFloats: true, txn: txn, env: environment) else { return nil }
                record.cells = try? txn.withValue(environment.cells, key: IndexKeys.photo(id)) { try CellCoding.decode($0) }
                return record
            }
        }
    }

    /// Visits every record in id order inside one read transaction while
    /// `body` returns true. `includeFloats: false` leaves vector and feature
    /// empty and skips reading them (fast for reconciling with the disk).
    /// Don't call other index methods from `body`.
    /// The pages read are given back to the kernel as the scan goes
    /// (`LMDBEnvironment.releaseMappedPages`), so a scan of a million records
    /// does not leave them all in the daemon's resident memory.
    /// A record that cannot be decoded is skipped (start-up reads search
    /// rows, not records, so one garbled on disk is met here first): a scan
    /// of the library then finds its photo unknown and indexes it again,
    /// under the same id, instead of every scan failing on it.
    public func forEachRecord(includeFloats: Bool = true, _ body: (PhotoRecord) throws -> Bool) throws {
        var visited = 0
        defer { environment.releaseMappedPages() }
        try environment.read { txn in
            try txn.forEach(environment.photos) { _, value in
                guard var record = try? PhotoRecord(decoding: value, includeFloats: includeFloats) else { return true }
                if includeFloats, record.feature.isEmpty {
                    record.feature = try Self.feature(record.id, txn: txn, env: environment) ?? []
                }
                visited += 1
                if visited % Self.recordsPerRelease == 0 { environment.releaseMappedPages() }
                return try body(record)
            }
        }
    }

    /// Paths of records without a vector of this index's model (after a
    /// model change; while re-embedding, those not staged yet), in id order.
    public func pathsNeedingEmbedding(limit: Int = .max) throws -> [String] {
        var paths: [String] = []
        try forEachRecord(includeFloats: false) { record in
            if !hasCurrentEmbedding(id: record.id) { paths.append(record.path) }
            return paths.count < limit
        }
        return paths
    }

    /// Ids of the photos under `folder` (a path prefix ending at a '/'), for
    /// `SearchFilter.allowedIDs`. A range scan of the paths table.
    public func ids(inFolder folder: String) throws -> Set<UInt64> {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try environment.read { txn in
            Set(try Self.paths(under: prefix, txn: txn, env: environment).map(\.id))
        }
    }

    /// Ids of the photos that carry every one of `tags` (exact names). One
    /// pass over the records' metadata: tags sit before the floats.
    public func ids(taggedWithAll tags: Set<String>) throws -> Set<UInt64> {
        var ids = Set<UInt64>()
        try forEachRecord(includeFloats: false) { record in
            if let own = record.tags, tags.isSubset(of: Set(own.map(\.name))) { ids.insert(record.id) }
            return true
        }
        return ids
    }

    /// Records under `folder`, in path order: a range scan of the paths
    /// table, so reconciling one folder does not read the whole index.
    public func records(inFolder folder: String, includeFloats: Bool = false) throws -> [PhotoRecord] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try environment.read { txn in
            try Self.paths(under: prefix, txn: txn, env: environment).compactMap { entry in
                try Self.storedRecord(entry.id, includeFloats: includeFloats, txn: txn, env: environment)
            }
        }
    }

    /// Failure records under `folder`, in path order (a range scan).
    public func failures(inFolder folder: String) throws -> [FailureRecord] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try environment.read { try Self.failures(under: prefix, txn: $0, env: environment) }
    }

    public func failure(path: String) throws -> FailureRecord? {
        try environment.read { txn in
            try txn.withValue(environment.failed, key: IndexKeys.path(path)) { try FailureRecord(decoding: $0) }
        }
    }

    /// Visits every failure record in path order while `body` returns true.
    public func forEachFailure(_ body: (FailureRecord) throws -> Bool) throws {
        try environment.read { txn in
            try txn.forEach(environment.failed) { _, value in try body(try FailureRecord(decoding: value)) }
        }
    }

    public func counts() throws -> Counts {
        let (photos, failed) = try environment.read { txn in
            (try txn.count(environment.photos), try txn.count(environment.failed))
        }
        return Counts(photos: photos, embedded: search.count, failed: failed)
    }

    /// A meta value (caller keys, or the index's own "photoq.*" keys).
    public func meta(_ key: String) throws -> String? {
        try environment.read { try MetaStore(txn: $0, database: environment.meta).string(key) }
    }

    // MARK: - Shared with WriteBatch

    /// Full scans give their mapped pages back every this many records (about 32 MB).
    static let recordsPerRelease = 16_384

    /// The record with `id`; with `includeFloats`, its vector and its
    /// feature (inline in records older than version 4, else from the features table).
    static func storedRecord(_ id: UInt64, includeFloats: Bool, txn: LMDBTransaction, env: LMDBEnvironment) throws -> PhotoRecord? {
        guard var record = try txn.withValue(env.photos, key: IndexKeys.photo(id), {
            try PhotoRecord(decoding: $0, includeFloats: includeFloats)
        }) else { return nil }
        if includeFloats, record.feature.isEmpty { record.feature = try feature(id, txn: txn, env: env) ?? [] }
        return record
    }

    static func feature(_ id: UInt64, txn: LMDBTransaction, env: LMDBEnvironment) throws -> [Float]? {
        try txn.withValue(env.features, key: IndexKeys.photo(id)) { try FeatureCoding.decode($0) }
    }

    static func id(atPath path: String, txn: LMDBTransaction, env: LMDBEnvironment) throws -> UInt64? {
        let utf8 = Array(path.utf8)
        return try txn.withValue(env.paths, key: IndexKeys.path(path)) { value -> UInt64? in
            let entry = try IndexKeys.decodePathValue(value)
            return entry.path == utf8 ? entry.id : nil
        } ?? nil
    }

    /// Every failure whose path starts with `prefix`, in path order.
    static func failures(under prefix: String, txn: LMDBTransaction, env: LMDBEnvironment) throws -> [FailureRecord] {
        let start = IndexKeys.pathScanStart(prefix)
        let fullPrefix = Array(prefix.utf8)
        var found: [FailureRecord] = []
        try txn.forEach(env.failed, from: start) { key, value in
            guard key.starts(with: start) else { return false }
            let failure = try FailureRecord(decoding: value)
            if failure.path.utf8.starts(with: fullPrefix) { found.append(failure) }
            return true
        }
        return found
    }

    /// Every (path, id) whose path starts with `prefix`, in path order.
    static func paths(under prefix: String, txn: LMDBTransaction, env: LMDBEnvironment) throws -> [(path: String, id: UInt64)] {
        let start = IndexKeys.pathScanStart(prefix)
        let fullPrefix = Array(prefix.utf8)
        var found: [(String, UInt64)] = []
        try txn.forEach(env.paths, from: start) { key, value in
            guard key.starts(with: start) else { return false }
            let entry = try IndexKeys.decodePathValue(value)
            if entry.path.starts(with: fullPrefix) { found.append((String(decoding: entry.path, as: UTF8.self), entry.id)) }
            return true
        }
        return found
    }
}
