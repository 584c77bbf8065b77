extension IndexMigration {
    /// Builds the searchrows table from the records (schema 2 → 3, or a
    /// table found untrustworthy at open): every record with a D-value
    /// vector gets its row. The table is emptied first and filled in
    /// batches of `recordsPerBatch`; an interrupted build starts over at the
    /// next open, so no row from before it survives unchecked. Returns the
    /// ids of records too garbled to read (left for the load to report).
    static func rebuildSearchRows(_ env: LMDBEnvironment, dimension: Int,
                                  progress: ((Int, Int) -> Void)?) throws -> [UInt64] {
        let total = try env.read { try $0.count(env.photos) }
        var unreadable: [UInt64] = []
        var done = 0
        var start: UInt64 = 0
        var first = true
        progress?(0, total)
        while true {
            let (visited, garbled, next) = try env.write { txn -> (Int, [UInt64], UInt64?) in
                if first { try txn.removeAll(env.searchRows) }
                var rows: [(key: [UInt8], row: [UInt8])] = []
                var garbled: [UInt64] = []
                var visited = 0
                var last: UInt64?
                try txn.forEach(env.photos, from: IndexKeys.photo(start)) { key, value in
                    visited += 1
                    let id = IndexKeys.decodePhotoKey(key) ?? 0
                    last = id
                    guard let entry = try? SearchEntry(decoding: value), entry.id == id, dimension > 0,
                          entry.vector.isEmpty || entry.vector.count == 4 * dimension else {
                        garbled.append(id)
                        return visited < recordsPerBatch
                    }
                    if !entry.vector.isEmpty {
                        rows.append((Array(key), SearchRowCoding.encoded(entry, dimension: dimension)))
                    }
                    return visited < recordsPerBatch
                }
                // Ids ascend, so each row goes at the end of the table.
                for row in rows { try txn.put(env.searchRows, key: row.key, value: row.row, append: true) }
                return (visited, garbled, last.map { $0 + 1 })
            }
            first = false
            unreadable += garbled
            done += visited
            env.releaseMappedPages()
            progress?(min(done, total), total)
            guard visited == recordsPerBatch, let next else { break }
            start = next
        }
        return unreadable
    }
}
