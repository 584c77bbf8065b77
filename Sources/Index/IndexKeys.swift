/// Key and value layouts of the LMDB databases.
enum IndexKeys {
    /// photos key: the id big-endian, so cursor order is id order.
    static func photo(_ id: UInt64) -> [UInt8] {
        withUnsafeBytes(of: id.bigEndian) { Array($0) }
    }

    static func decodePhotoKey(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard bytes.count == 8 else { return nil }
        return UInt64(bigEndian: bytes.loadUnaligned(as: UInt64.self))
    }

    /// Paths up to this many UTF-8 bytes are their own key.
    static let directPathLimit = 480
    static let longPathPrefix = 464

    /// paths/failed key: the path's UTF-8 bytes; a path too long for an
    /// LMDB key (511 bytes) becomes its first 464 bytes, a NUL (never in a
    /// path) and a 64-bit hash of the whole path. Key order stays path order
    /// for prefixes, and the full path is stored in the value, so lookups
    /// and folder scans check it and a hash collision can't return a wrong id.
    static func path(_ path: String) -> [UInt8] {
        let utf8 = Array(path.utf8)
        guard utf8.count > directPathLimit else { return utf8 }
        var key = Array(utf8[0..<longPathPrefix])
        key.append(0)
        let hash = utf8.withUnsafeBytes { Hash64.of($0) }
        withUnsafeBytes(of: hash.bigEndian) { key.append(contentsOf: $0) }
        return key
    }

    /// The key range start for every path beginning with `prefix`.
    static func pathScanStart(_ prefix: String) -> [UInt8] {
        Array(Array(prefix.utf8).prefix(longPathPrefix))
    }

    /// paths value: id (u64 little-endian) followed by the full path.
    static func pathValue(id: UInt64, path: String) -> [UInt8] {
        var bytes = withUnsafeBytes(of: id.littleEndian) { Array($0) }
        bytes.append(contentsOf: path.utf8)
        return bytes
    }

    static func decodePathValue(_ bytes: UnsafeRawBufferPointer) throws -> (id: UInt64, path: [UInt8]) {
        guard bytes.count > 8 else {
            throw IndexError(.corruptRecord, "path entry is corrupt: \(bytes.count) bytes")
        }
        let id = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        return (id, Array(bytes[8...]))
    }
}

/// Keys of the meta database that the index itself owns.
enum MetaKey {
    static let prefix = "photoq."
    static let schemaVersion = "photoq.schema_version"
    static let modelID = "photoq.model_id"
    static let dimension = "photoq.dimension"
    static let featureDimension = "photoq.feature_dimension"
    static let nextID = "photoq.next_id"
    /// The model being staged while the stored one serves (`PhotoIndex+Reembedding`).
    static let stagedModelID = "photoq.staged_model_id"
    static let stagedDimension = "photoq.staged_dimension"
    static let stagedFeatureDimension = "photoq.staged_feature_dimension"
}
