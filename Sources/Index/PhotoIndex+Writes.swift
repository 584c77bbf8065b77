#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// One change in a write batch; `PhotoIndex.apply` commits a batch atomically.
public enum IndexChange: Sendable {
    /// Stores a record. `id == 0` reuses the id already at the record's path
    /// or allocates a new one; a record whose id is stored under another path
    /// is re-pointed (the old path entry goes). A path that pointed to a
    /// different id drops that id's record.
    case upsert(PhotoRecord)
    /// Forgets the photo at a path (and any failure recorded for it).
    case remove(path: String)
    /// Renames a photo, keeping its id and vector. A photo already at `to` is replaced.
    case move(from: String, to: String)
    /// Renames every photo under folder `from` to the same place under `to`.
    case moveFolder(from: String, to: String)
    /// Forgets every photo under a folder.
    case removeFolder(String)
    case recordFailure(FailureRecord)
    case clearFailure(path: String)
}

/// What a batch did, in order.
public struct IndexChangeResult: Sendable, Equatable {
    /// Upserted records, with their ids filled in.
    public var upserted: [PhotoRecord] = []
    /// Ids whose records were deleted (removed, replaced or overwritten by a move).
    public var removedIDs: [UInt64] = []
    /// Ids that changed path.
    public var movedIDs: [UInt64] = []
    /// Paths named by remove or move that were not in the index.
    public var missingPaths: [String] = []
}

extension PhotoIndex {
    /// Applies a batch of changes in one write transaction, then updates the
    /// vector search. Either the whole batch is committed or none of it.
    @discardableResult
    public func apply(_ changes: [IndexChange]) throws -> IndexChangeResult {
        for change in changes { try validate(change) }
        return try writer.withLock {
            try requireCompatible()
            // The closure may run again after the map grows, so it starts fresh.
            let (result, searchOps, stagedOps) = try environment.write { txn in
                var batch = try WriteBatch(index: self, txn: txn)
                for change in changes { try batch.apply(change) }
                try batch.finish()
                return (batch.result, batch.searchOps, batch.stagedOps)
            }
            try applyToSearch(searchOps)
            if !stagedOps.isEmpty {
                stateLock.withLock {
                    for op in stagedOps where op.staged { state.stagedIDs.insert(op.id) }
                    for op in stagedOps where !op.staged { state.stagedIDs.remove(op.id) }
                }
            }
            return result
        }
    }

    @discardableResult
    public func upsert(_ records: [PhotoRecord]) throws -> [PhotoRecord] {
        try apply(records.map(IndexChange.upsert)).upserted
    }

    /// Removes photos by path; returns the removed ids.
    @discardableResult
    public func remove(paths: [String]) throws -> [UInt64] {
        try apply(paths.map { .remove(path: $0) }).removedIDs
    }

    /// Renames a photo keeping its vector; returns its id, nil if `from` is not indexed.
    @discardableResult
    public func move(from: String, to: String) throws -> UInt64? {
        try apply([.move(from: from, to: to)]).movedIDs.first
    }

    public func recordFailure(path: String, reason: String, size: UInt64, mtimeNanoseconds: Int64,
                              recordedAt: Int64 = Int64(time(nil))) throws {
        try apply([.recordFailure(FailureRecord(path: path, reason: reason, size: size,
                                                mtimeNanoseconds: mtimeNanoseconds, recordedAt: recordedAt))])
    }

    public func clearFailure(path: String) throws {
        try apply([.clearFailure(path: path)])
    }

    /// Deletes records by id, with any path entries pointing to them (used
    /// for records that failed to decode). Scans the paths table.
    public func removeRecords(ids: [UInt64]) throws {
        let doomed = Set(ids)
        try writer.withLock {
            try environment.write { txn in
                var pathKeys: [[UInt8]] = []
                try txn.forEach(environment.paths) { key, value in
                    if let entry = try? IndexKeys.decodePathValue(value), doomed.contains(entry.id) {
                        pathKeys.append(Array(key))
                    }
                    return true
                }
                for key in pathKeys { try txn.delete(environment.paths, key: key) }
                for id in ids {
                    for table in [environment.photos, environment.features, environment.cells, environment.searchRows,
                                  environment.stagedRecords, environment.stagedFeatures, environment.stagedCells] {
                        try txn.delete(table, key: IndexKeys.photo(id))
                    }
                }
            }
            search.remove(ids: ids)
            catalog.remove(ids: ids)
            stateLock.withLock { state.stagedIDs.subtract(ids) }
        }
    }

    /// Sets a caller-owned meta value (nil deletes it). Keys starting with
    /// "photoq." belong to the index.
    public func setMeta(_ key: String, _ value: String?) throws {
        guard !key.isEmpty, !key.hasPrefix(MetaKey.prefix), key.utf8.count <= LMDBEnvironment.maxKeySize else {
            throw IndexError(.invalidArgument, "meta key '\(key)' is empty, too long or reserved (photoq.*)")
        }
        try writer.withLock {
            try environment.write { txn in try MetaStore(txn: txn, database: environment.meta).set(key, value) }
        }
    }

    private func validate(_ change: IndexChange) throws {
        switch change {
        case let .upsert(record):
            try validatePath(record.path)
            // While re-embedding, a record may also carry the serving model's vector (a rename, a touch).
            var expected = (model: modelID, dimension: dimension, featureDimension: featureDimension)
            if case let .reembedding(serving, d, f) = compatibility, record.modelID == serving { expected = (serving, d, f) }
            guard record.vector.isEmpty || record.vector.count == expected.dimension else {
                throw IndexError(.dimensionMismatch, "\(record.path): vector has \(record.vector.count) values, the index holds \(expected.dimension)-d vectors")
            }
            guard record.feature.isEmpty || record.feature.count == expected.featureDimension else {
                throw IndexError(.dimensionMismatch, "\(record.path): feature has \(record.feature.count) values, the index stores \(expected.featureDimension)")
            }
            guard record.vector.isEmpty || record.modelID == expected.model else {
                throw IndexError(.modelMismatch, "\(record.path): vector from model '\(record.modelID)', the index holds '\(modelID)'")
            }
            guard record.vector.allSatisfy(\.isFinite), record.feature.allSatisfy(\.isFinite) else {
                throw IndexError(.invalidArgument, "\(record.path): vector or feature contains NaN or infinity")
            }
            guard Float16Coding.fits(record.feature) else {
                throw IndexError(.invalidArgument, "\(record.path): feature has values beyond ±\(Float16Coding.largestFinite), which half precision cannot store")
            }
        case let .remove(path), let .clearFailure(path), let .removeFolder(path):
            try validatePath(path)
        case let .move(from, to), let .moveFolder(from, to):
            try validatePath(from)
            try validatePath(to)
        case let .recordFailure(failure):
            try validatePath(failure.path)
        }
    }

    private func validatePath(_ path: String) throws {
        guard !path.isEmpty, !path.utf8.contains(0), path.utf8.count <= PhotoRecord.maxPathBytes else {
            throw IndexError(.invalidArgument, "path '\(path.prefix(80))' is empty, too long or contains NUL")
        }
    }

    private func applyToSearch(_ ops: [WriteBatch.SearchOp]) throws {
        var pending: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)] = []
        var summaries: [(id: UInt64, hash: UInt64, format: String)] = []
        for op in ops {
            switch op {
            case let .set(id, vector, date, hash, format):
                pending.append((id, vector, date))
                summaries.append((id, hash, format))
            case let .remove(id):
                try search.upsert(pending)
                catalog.set(summaries)
                pending.removeAll()
                summaries.removeAll()
                search.remove(id: id)
                catalog.remove(ids: [id])
            }
        }
        try search.upsert(pending)
        catalog.set(summaries)
    }
}


