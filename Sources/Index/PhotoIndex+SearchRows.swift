import Dispatch

extension PhotoIndex {
    /// Fills `search` and `catalog` from the searchrows table at open; returns
    /// the ids whose stored data is unreadable (for `removeRecords(ids:)`).
    ///
    /// The table is written in the same transactions as the records, so it
    /// is trusted as a whole only after two checks: it has no more rows than
    /// there are records (else it is rebuilt from them), and every row's
    /// version, dimension and checksum hold (a garbled row is rebuilt from its
    /// record, or dropped with a record that is gone or has no vector).
    static func loadSearchRows(_ env: LMDBEnvironment, into search: VectorSearch, catalog: PhotoCatalog,
                               progress: ((Int, Int) -> Void)?) throws -> [UInt64] {
        let (rows, records) = try env.read { (try $0.count(env.searchRows), try $0.count(env.photos)) }
        var unreadable: [UInt64] = []
        if rows > records {
            unreadable = try IndexMigration.rebuildSearchRows(env, dimension: search.dimension, progress: progress)
        }
        let garbled = try copySearchRows(env, into: search, catalog: catalog)
        if !garbled.isEmpty { unreadable += try repairSearchRows(garbled, env, into: search, catalog: catalog) }
        return unreadable
    }

    /// Copies every readable row; returns the ids of the others. The map's
    /// pages are given back as the scan goes, so only the copies stay
    /// resident. The catalog takes each slice of rows on another thread
    /// while the scan reads the next (the two are about equally costly).
    private static func copySearchRows(_ env: LMDBEnvironment, into search: VectorSearch, catalog: PhotoCatalog) throws -> [UInt64] {
        var garbled: [UInt64] = []
        var summaries: [(id: UInt64, hash: UInt64, format: String)] = []
        summaries.reserveCapacity(rowsPerRelease)
        let cataloguing = DispatchQueue(label: "photoq.index.catalog-load")
        defer { cataloguing.sync {} }
        func handOver() {
            let slice = summaries
            cataloguing.async { catalog.set(slice) }
            summaries.removeAll(keepingCapacity: true)
        }
        var visited = 0
        defer { env.releaseMappedPages() }
        try env.read { txn in
            let count = try txn.count(env.searchRows)
            search.reserve(count)
            catalog.reserve(count)
            try search.bulkLoad { add in
                var format = ""
                try txn.forEach(env.searchRows) { key, value in
                    visited += 1
                    if visited % rowsPerRelease == 0 {
                        env.releaseMappedPages()
                        handOver()
                    }
                    let id = IndexKeys.decodePhotoKey(key) ?? 0
                    guard id != 0, let row = try? StoredSearchRow(decoding: value, dimension: search.dimension, formatLike: format) else {
                        garbled.append(id)
                        return true
                    }
                    format = row.format
                    add(id, row.scale, row.high, row.low, row.date)
                    summaries.append((id, row.contentHash, row.format))
                    return true
                }
            }
        }
        handOver()
        return garbled
    }

    /// Rewrites garbled rows from their records; returns the ids whose record
    /// cannot be read either.
    private static func repairSearchRows(_ ids: [UInt64], _ env: LMDBEnvironment, into search: VectorSearch,
                                         catalog: PhotoCatalog) throws -> [UInt64] {
        let dimension = search.dimension
        // The closure may run again after the map grows, so it starts fresh.
        let (rebuilt, unreadable) = try env.write { txn -> ([PhotoRecord], [UInt64]) in
            var rebuilt: [PhotoRecord] = []
            var unreadable: [UInt64] = []
            for id in ids {
                let key = IndexKeys.photo(id)
                let record = try txn.withValue(env.photos, key: key) { try? PhotoRecord(decoding: $0) }
                switch record {
                case .some(.some(let record)) where record.id == id && record.vector.count == dimension:
                    try txn.put(env.searchRows, key: key, value: SearchRowCoding.encoded(record))
                    rebuilt.append(record)
                case .some(.some(let record)) where record.id == id && record.vector.isEmpty:
                    try txn.delete(env.searchRows, key: key) // waiting for embedding: no row
                case .none:
                    try txn.delete(env.searchRows, key: key) // no record: the row must not bring it back
                default:
                    try txn.delete(env.searchRows, key: key)
                    unreadable.append(id)
                }
            }
            return (rebuilt, unreadable)
        }
        try search.upsert(rebuilt.map { ($0.id, $0.vector, $0.searchDateNanoseconds) })
        catalog.set(rebuilt.map { ($0.id, $0.contentHash, $0.format) })
        return unreadable
    }

    /// Rows are small: the load gives back mapped pages this often (about 30 MB).
    static let rowsPerRelease = 65_536
}
