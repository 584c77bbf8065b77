/// Applies `IndexChange`s inside one write transaction, keeping the photos,
/// paths and failed tables consistent, and records what the vector search
/// must do once the transaction commits.
struct WriteBatch {
    enum SearchOp {
        /// id, vector, the date filters see, content hash, format.
        case set(UInt64, [Float], Int64, UInt64, String)
        case remove(UInt64)
    }

    let index: PhotoIndex
    let txn: LMDBTransaction
    var result = IndexChangeResult()
    var searchOps: [SearchOp] = []
    /// Ids given (true) or stripped of (false) a staged embedding, for `stagedIDs`.
    var stagedOps: [(id: UInt64, staged: Bool)] = []
    /// While re-embedding: the serving model, whose vectors the live tables keep.
    private let servingModelID: String?
    private var nextID: UInt64
    private let firstUnallocatedID: UInt64
    private var env: LMDBEnvironment { index.environment }

    init(index: PhotoIndex, txn: LMDBTransaction) throws {
        self.index = index
        self.txn = txn
        let stored = try MetaStore(txn: txn, database: index.environment.meta).string(MetaKey.nextID)
        guard let next = stored.flatMap(UInt64.init), next > 0 else {
            throw IndexError(.corruptRecord, "meta \(MetaKey.nextID) is missing or garbled ('\(stored ?? "")')")
        }
        nextID = next
        firstUnallocatedID = next
        if case let .reembedding(serving, _, _) = index.compatibility { servingModelID = serving } else { servingModelID = nil }
    }

    mutating func finish() throws {
        if nextID != firstUnallocatedID {
            try MetaStore(txn: txn, database: env.meta).set(MetaKey.nextID, String(nextID))
        }
    }

    mutating func apply(_ change: IndexChange) throws {
        switch change {
        case let .upsert(record): try upsert(record)
        case let .remove(path): try remove(path: path)
        case let .move(from, to): try move(from: from, to: to)
        case let .moveFolder(from, to):
            let base = folderPrefix(from)
            let target = folderPrefix(to)
            for path in try paths(under: base) { try move(from: path, to: target + byteSuffix(path, after: base)) }
            // Failures of files that were never indexed move along too.
            for var failure in try failures(under: base) {
                try txn.delete(env.failed, key: IndexKeys.path(failure.path))
                failure.path = target + byteSuffix(failure.path, after: base)
                try txn.put(env.failed, key: IndexKeys.path(failure.path), value: failure.encoded())
            }
            try PhotoIndex.moveSkips(from: base, to: target, txn: txn, env: env)
        case let .removeFolder(folder):
            let base = folderPrefix(folder)
            for path in try paths(under: base) { try remove(path: path) }
            for failure in try failures(under: base) { try txn.delete(env.failed, key: IndexKeys.path(failure.path)) }
            try PhotoIndex.removeSkips(under: base, txn: txn, env: env)
        case let .recordFailure(failure):
            try txn.put(env.failed, key: IndexKeys.path(failure.path), value: failure.encoded())
        case let .clearFailure(path):
            try txn.delete(env.failed, key: IndexKeys.path(path))
        }
    }

    private mutating func upsert(_ input: PhotoRecord) throws {
        var record = input
        let existingAtPath = try id(atPath: record.path)
        if record.id == 0 {
            record.id = existingAtPath ?? allocateID()
        } else if record.id >= nextID {
            throw IndexError(.invalidArgument, "\(record.path): id \(record.id) was never allocated by this index; pass 0 to allocate")
        } else if let previous = try storedRecord(record.id, includeFloats: false), !samePath(previous.path, record.path) {
            // The photo now lives at another path: drop the old path entry.
            if try id(atPath: previous.path) == record.id {
                try txn.delete(env.paths, key: IndexKeys.path(previous.path))
            }
        }
        if let replaced = existingAtPath, replaced != record.id { try deleteRecord(replaced) }
        if let servingModelID, !record.vector.isEmpty, record.modelID == index.modelID {
            try stage(record)
            record = try servingView(of: record, servingModelID: servingModelID)
        }
        // Ids grow, so a new photo's entries come last: appended, they fill
        // whole pages (a split in the middle would leave every page half empty).
        let isNew = record.id >= firstUnallocatedID
        try txn.put(env.photos, key: IndexKeys.photo(record.id), value: record.withoutFeature().encoded(), append: isNew)
        if record.feature.isEmpty {
            if !isNew { try txn.delete(env.features, key: IndexKeys.photo(record.id)) }
        } else {
            try txn.put(env.features, key: IndexKeys.photo(record.id), value: FeatureCoding.encoded(record.feature), append: isNew)
        }
        // nil cells keep what is stored (a record re-read for a rename or a
        // touch carries none); a photo without a vector has no cells either.
        if let cells = record.cells, !record.vector.isEmpty {
            try txn.put(env.cells, key: IndexKeys.photo(record.id), value: CellCoding.encoded(cells), append: isNew)
        } else if !isNew, record.vector.isEmpty {
            try txn.delete(env.cells, key: IndexKeys.photo(record.id))
        }
        // The search row changes with the record, in the same commit: the
        // rows start-up loads can never disagree with the records.
        if record.vector.isEmpty {
            if !isNew { try txn.delete(env.searchRows, key: IndexKeys.photo(record.id)) }
        } else {
            try txn.put(env.searchRows, key: IndexKeys.photo(record.id), value: SearchRowCoding.encoded(record), append: isNew)
        }
        try txn.put(env.paths, key: IndexKeys.path(record.path), value: IndexKeys.pathValue(id: record.id, path: record.path))
        try txn.delete(env.failed, key: IndexKeys.path(record.path))
        try txn.delete(env.skipped, key: IndexKeys.path(record.path))
        searchOps.append(record.vector.isEmpty ? .remove(record.id)
            : .set(record.id, record.vector, record.searchDateNanoseconds, record.contentHash, record.format))
        result.upserted.append(record)
    }

    private mutating func remove(path: String) throws {
        try txn.delete(env.failed, key: IndexKeys.path(path))
        try txn.delete(env.skipped, key: IndexKeys.path(path))
        guard let id = try id(atPath: path) else {
            result.missingPaths.append(path)
            return
        }
        try txn.delete(env.paths, key: IndexKeys.path(path))
        try deleteRecord(id)
    }

    private mutating func move(from: String, to: String) throws {
        guard !samePath(from, to) else { return }
        guard let id = try id(atPath: from), var record = try storedRecord(id, includeFloats: true) else {
            result.missingPaths.append(from)
            return
        }
        if let replaced = try self.id(atPath: to), replaced != id { try deleteRecord(replaced) }
        record.path = to
        try txn.put(env.photos, key: IndexKeys.photo(id), value: record.withoutFeature().encoded())
        // The feature stays under the id; only one still inline moves out.
        if !record.feature.isEmpty {
            try txn.put(env.features, key: IndexKeys.photo(id), value: FeatureCoding.encoded(record.feature))
        }
        try txn.delete(env.paths, key: IndexKeys.path(from))
        try txn.put(env.paths, key: IndexKeys.path(to), value: IndexKeys.pathValue(id: id, path: to))
        if let bytes = try txn.get(env.failed, key: IndexKeys.path(from)), var failure = try? FailureRecord(decoding: bytes) {
            try txn.delete(env.failed, key: IndexKeys.path(from))
            failure.path = to
            try txn.put(env.failed, key: IndexKeys.path(to), value: failure.encoded())
        }
        result.movedIDs.append(id)
    }

    /// The new model's embedding of a photo goes to the staged tables.
    private mutating func stage(_ record: PhotoRecord) throws {
        let key = IndexKeys.photo(record.id)
        try txn.put(env.stagedRecords, key: key, value: record.withoutFeature().encoded())
        if record.feature.isEmpty {
            try txn.delete(env.stagedFeatures, key: key)
        } else {
            try txn.put(env.stagedFeatures, key: key, value: FeatureCoding.encoded(record.feature))
        }
        if let cells = record.cells {
            try txn.put(env.stagedCells, key: key, value: CellCoding.encoded(cells))
        } else {
            try txn.delete(env.stagedCells, key: key)
        }
        stagedOps.append((record.id, true))
    }

    /// What the live tables keep of a photo just staged: its new stat data
    /// with the serving model's embedding when the content is unchanged
    /// (still searchable until the switch), else no vector (the old one
    /// described other content).
    private func servingView(of record: PhotoRecord, servingModelID: String) throws -> PhotoRecord {
        var live = record
        live.cells = nil // the stored cells stay with the stored vector
        if let existing = try storedRecord(record.id, includeFloats: true), !existing.vector.isEmpty,
           existing.modelID == servingModelID, existing.contentHash != 0,
           existing.contentHash == record.contentHash, existing.size == record.size {
            (live.modelID, live.vector, live.feature, live.tags) = (existing.modelID, existing.vector, existing.feature, existing.tags)
        } else {
            (live.modelID, live.vector, live.feature, live.tags) = (servingModelID, [], [], nil)
        }
        return live
    }

    private mutating func deleteRecord(_ id: UInt64) throws {
        try txn.delete(env.photos, key: IndexKeys.photo(id))
        try txn.delete(env.features, key: IndexKeys.photo(id))
        try txn.delete(env.searchRows, key: IndexKeys.photo(id))
        try txn.delete(env.cells, key: IndexKeys.photo(id))
        if servingModelID != nil {
            for table in [env.stagedRecords, env.stagedFeatures, env.stagedCells] { try txn.delete(table, key: IndexKeys.photo(id)) }
            stagedOps.append((id, false))
        }
        searchOps.append(.remove(id))
        result.removedIDs.append(id)
    }

    private mutating func allocateID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    private func id(atPath path: String) throws -> UInt64? {
        try PhotoIndex.id(atPath: path, txn: txn, env: env)
    }

    /// With `includeFloats`, the vector and any feature still inline (an
    /// older record); a version 4 record's feature stays in its table.
    private func storedRecord(_ id: UInt64, includeFloats: Bool) throws -> PhotoRecord? {
        try txn.withValue(env.photos, key: IndexKeys.photo(id)) { try PhotoRecord(decoding: $0, includeFloats: includeFloats) }
    }

    private func paths(under prefix: String) throws -> [String] {
        try PhotoIndex.paths(under: prefix, txn: txn, env: env).map(\.path)
    }

    private func failures(under prefix: String) throws -> [FailureRecord] {
        try PhotoIndex.failures(under: prefix, txn: txn, env: env)
    }

    /// Paths are compared as bytes: `==` on String would take `café` in NFC
    /// and in NFD, two files, for one.
    private func samePath(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// What follows `prefix` in `path`, cut at a byte offset (a Character
    /// count could be off when a name starts with a combining mark).
    private func byteSuffix(_ path: String, after prefix: String) -> String {
        String(decoding: path.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
    }

    private func folderPrefix(_ folder: String) -> String {
        folder.hasSuffix("/") ? folder : folder + "/"
    }
}
