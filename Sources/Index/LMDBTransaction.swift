internal import CLMDB

/// A named LMDB database inside an environment (a DBI handle).
public struct LMDBDatabase: Sendable, Hashable {
    let handle: UInt32
    public let name: String
}

/// One LMDB transaction, handed to the closures of `LMDBEnvironment.read`
/// and `.write`. It is only valid inside that closure: never store it or
/// pass it to another thread. Values returned by `withValue` point into the
/// memory map and are only valid inside their closure too.
public struct LMDBTransaction {
    let txn: OpaquePointer
    public let isWritable: Bool

    /// Calls `body` with the stored bytes for `key`, or returns nil when absent.
    public func withValue<R>(_ database: LMDBDatabase, key: [UInt8],
                             _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var data = MDB_val()
            let rc = mdb_get(txn, database.handle, &keyValue, &data)
            if rc == MDB_NOTFOUND { return nil }
            try lmdbCheck(rc, "reading from \(database.name)")
            return try body(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
        }
    }

    /// A copy of the stored bytes for `key`.
    public func get(_ database: LMDBDatabase, key: [UInt8]) throws -> [UInt8]? {
        try withValue(database, key: key) { Array($0) }
    }

    /// - Parameter append: the key sorts after every key in `database`
    ///   (`MDB_APPEND`): the entry goes at the end without splitting a page
    ///   in half, so entries added in key order fill their pages.
    public func put(_ database: LMDBDatabase, key: [UInt8], value: [UInt8], append: Bool = false) throws {
        guard !key.isEmpty, key.count <= LMDBEnvironment.maxKeySize else {
            throw IndexError(.invalidArgument, "key of \(key.count) bytes for \(database.name); LMDB keys are 1...\(LMDBEnvironment.maxKeySize) bytes")
        }
        try key.withUnsafeBytes { keyBytes in
            try value.withUnsafeBytes { valueBytes in
                var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var data = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                var rc = mdb_put(txn, database.handle, &keyValue, &data, append ? UInt32(MDB_APPEND) : 0)
                // Not last after all: a plain put puts it in its place.
                if append && rc == MDB_KEYEXIST { rc = mdb_put(txn, database.handle, &keyValue, &data, 0) }
                try lmdbCheck(rc, "writing to \(database.name)")
            }
        }
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public func delete(_ database: LMDBDatabase, key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let rc = mdb_del(txn, database.handle, &keyValue, nil)
            if rc == MDB_NOTFOUND { return false }
            try lmdbCheck(rc, "deleting from \(database.name)")
            return true
        }
    }

    /// Removes every entry of `database`, keeping the database itself.
    public func removeAll(_ database: LMDBDatabase) throws {
        try lmdbCheck(mdb_drop(txn, database.handle, 0), "emptying \(database.name)")
    }

    /// The number of entries in `database`.
    public func count(_ database: LMDBDatabase) throws -> Int {
        var stat = MDB_stat()
        try lmdbCheck(mdb_stat(txn, database.handle, &stat), "counting \(database.name)")
        return stat.ms_entries
    }

    /// Visits entries in key order, starting at the first key >= `start`
    /// (all entries when nil), while `body` returns true. The buffers point
    /// into the map and are valid only during the call.
    public func forEach(_ database: LMDBDatabase, from start: [UInt8]? = nil,
                        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(txn, database.handle, &cursor), "opening a cursor on \(database.name)")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val(), data = MDB_val()
        let startBytes = start ?? []
        var rc: Int32 = startBytes.withUnsafeBytes { startPointer in
            if start == nil || startBytes.isEmpty {
                return mdb_cursor_get(cursor, &key, &data, MDB_FIRST)
            }
            key = MDB_val(mv_size: startPointer.count, mv_data: UnsafeMutableRawPointer(mutating: startPointer.baseAddress))
            return mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
        }
        while rc == 0 {
            let keep = try body(UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                                UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
            if !keep { return }
            rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try lmdbCheck(rc, "iterating \(database.name)") }
    }
}

/// One change in a batch applied by `LMDBEnvironment.apply`.
public enum LMDBWrite: Sendable {
    case put(LMDBDatabase, key: [UInt8], value: [UInt8])
    case delete(LMDBDatabase, key: [UInt8])
}

/// Throws an `.lmdb` IndexError carrying `mdb_strerror`'s text unless `rc` is 0.
func lmdbCheck(_ rc: Int32, _ what: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
    guard rc != 0 else { return }
    throw IndexError(.lmdb, "LMDB failed " + what(), cause: String(cString: mdb_strerror(rc)),
                     lmdbReturnCode: rc, file: file, line: line)
}
