/// Brings an index written by an older photoq up to `PhotoIndex.schemaVersion`
/// when it is opened, without losing a record.
///
/// Schema 1 → 2: records of versions 1–3 carry the backbone feature inline
/// in Float32; each is rewritten as version 4 with its feature in the
/// features table (in halves: `Float16Coding`). Batches of
/// `recordsPerBatch` records commit one by one, so an interrupted migration
/// resumes where it stopped (a version 4 record is left as it is); the
/// schema version changes after the last batch.
///
/// Schema 2 → 3: the searchrows table is built from the records
/// (`IndexMigration+SearchRows`).
enum IndexMigration {
    static let recordsPerBatch = 2048
    static let targetSchema = 3

    /// Returns the ids of records too garbled to give a search row.
    static func migrateIfNeeded(_ env: LMDBEnvironment, progress: ((Int, Int) -> Void)?) throws -> [UInt64] {
        let stored = try env.read { try MetaStore(txn: $0, database: env.meta).int(MetaKey.schemaVersion) }
        guard let stored, stored < targetSchema else { return [] }
        if stored < 2 { try moveFeaturesApart(env, progress: progress) }
        let dimension = try env.read { try MetaStore(txn: $0, database: env.meta).int(MetaKey.dimension) } ?? 0
        let unreadable = try rebuildSearchRows(env, dimension: dimension, progress: progress)
        try env.write { txn in
            try MetaStore(txn: txn, database: env.meta).set(MetaKey.schemaVersion, String(targetSchema))
        }
        return unreadable
    }

    /// Schema 1 → 2.
    private static func moveFeaturesApart(_ env: LMDBEnvironment, progress: ((Int, Int) -> Void)?) throws {
        let total = try env.read { try $0.count(env.photos) }
        var done = 0
        var start: UInt64 = 0
        progress?(0, total)
        while true {
            let (visited, next) = try env.write { txn -> (Int, UInt64?) in
                var entries: [(key: [UInt8], record: PhotoRecord?)] = []
                try txn.forEach(env.photos, from: IndexKeys.photo(start)) { key, value in
                    // Undecodable records are left for the load to report (and the daemon to drop).
                    let old = PhotoRecord.version(of: value).map { $0 < PhotoRecord.featureApartVersion } ?? false
                    entries.append((Array(key), old ? try? PhotoRecord(decoding: value) : nil))
                    return entries.count < recordsPerBatch
                }
                for entry in entries {
                    guard let record = entry.record else { continue }
                    try txn.put(env.photos, key: entry.key, value: record.withoutFeature().encoded())
                    if record.feature.isEmpty {
                        try txn.delete(env.features, key: entry.key)
                    } else {
                        try txn.put(env.features, key: entry.key, value: FeatureCoding.encoded(record.feature))
                    }
                }
                let last = entries.last.flatMap { entry in entry.key.withUnsafeBytes { IndexKeys.decodePhotoKey($0) } }
                return (entries.count, last.map { $0 + 1 })
            }
            done += visited
            env.releaseMappedPages()
            progress?(min(done, total), total)
            guard visited == recordsPerBatch, let next else { break }
            start = next
        }
        try env.write { txn in
            try MetaStore(txn: txn, database: env.meta).set(MetaKey.schemaVersion, "2")
        }
    }
}
