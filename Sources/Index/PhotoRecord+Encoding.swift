// Stored form of PhotoRecord (little-endian):
//   u8 version (1) | u64 id | u64 device | u64 inode | u64 size | i64 mtime_ns
//   | u64 content_hash | u32 n + path utf8 | u32 n + model id utf8
//   | u32 D | u32 F | f32 vector (D) | f32 feature (F) | u64 checksum
// The fixed fields and strings come first so a metadata-only decode touches
// only the record's first page; the checksum covers every byte before it.

extension PhotoRecord {
    public static let encodingVersion: UInt8 = 1
    static let maxPathBytes = 1 << 16
    static let maxModelIDBytes = 1 << 10
    static let maxFloats = 1 << 20

    /// The versioned binary form stored in LMDB.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 80 + path.utf8.count + modelID.utf8.count + 4 * (vector.count + feature.count))
        writer.write(Self.encodingVersion)
        writer.write(id)
        writer.write(device)
        writer.write(inode)
        writer.write(size)
        writer.write(mtimeNanoseconds)
        writer.write(contentHash)
        writer.write(string: path)
        writer.write(string: modelID)
        writer.write(UInt32(vector.count))
        writer.write(UInt32(feature.count))
        writer.write(floats: vector)
        writer.write(floats: feature)
        writer.writeChecksum()
        return writer.bytes
    }

    /// Decodes `encoded()` bytes; throws `.corruptRecord` on truncated,
    /// garbled or unknown-version input.
    public init(decoding bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try PhotoRecord(decoding: $0) }
    }

    /// Decodes from a buffer (e.g. straight from the LMDB map).
    /// - Parameter includeFloats: false skips the vector, the feature and the
    ///   checksum (lengths are still checked), so listing paths and stat data
    ///   does not read every record's 6 KB of floats.
    public init(decoding bytes: UnsafeRawBufferPointer, includeFloats: Bool = true) throws {
        var reader = ByteReader(bytes, what: "photo record")
        let version = try reader.readUInt8()
        guard version == Self.encodingVersion else {
            throw reader.corrupt("record version \(version), this program reads \(Self.encodingVersion)")
        }
        let id = try reader.readUInt64()
        let device = try reader.readUInt64()
        let inode = try reader.readUInt64()
        let size = try reader.readUInt64()
        let mtime = try reader.readInt64()
        let hash = try reader.readUInt64()
        let path = try reader.readString(maxBytes: Self.maxPathBytes)
        let modelID = try reader.readString(maxBytes: Self.maxModelIDBytes)
        let vectorCount = Int(try reader.readUInt32())
        let featureCount = Int(try reader.readUInt32())
        guard vectorCount <= Self.maxFloats, featureCount <= Self.maxFloats else {
            throw reader.corrupt("float counts \(vectorCount), \(featureCount) out of range")
        }
        var vector: [Float] = []
        var feature: [Float] = []
        if includeFloats {
            vector = try reader.readFloats(count: vectorCount)
            feature = try reader.readFloats(count: featureCount)
            try reader.verifyChecksum()
        } else {
            guard reader.remaining == 4 * (vectorCount + featureCount) + 8 else {
                throw reader.corrupt("\(reader.remaining) bytes left for \(vectorCount + featureCount) floats and a checksum")
            }
        }
        self.init(id: id, path: path, device: device, inode: inode, size: size, mtimeNanoseconds: mtime,
                  contentHash: hash, modelID: modelID, vector: vector, feature: feature)
    }
}

// Stored form of FailureRecord:
//   u8 version (1) | u64 size | i64 mtime_ns | i64 recorded_at
//   | u32 n + path | u32 n + reason | u64 checksum
extension FailureRecord {
    public static let encodingVersion: UInt8 = 1

    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(Self.encodingVersion)
        writer.write(size)
        writer.write(mtimeNanoseconds)
        writer.write(recordedAt)
        writer.write(string: path)
        writer.write(string: reason)
        writer.writeChecksum()
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        self = try bytes.withUnsafeBytes { try FailureRecord(decoding: $0) }
    }

    public init(decoding bytes: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(bytes, what: "failure record")
        let version = try reader.readUInt8()
        guard version == Self.encodingVersion else {
            throw reader.corrupt("record version \(version), this program reads \(Self.encodingVersion)")
        }
        let size = try reader.readUInt64()
        let mtime = try reader.readInt64()
        let recordedAt = try reader.readInt64()
        let path = try reader.readString(maxBytes: PhotoRecord.maxPathBytes)
        let reason = try reader.readString(maxBytes: 1 << 16)
        try reader.verifyChecksum()
        self.init(path: path, reason: reason, size: size, mtimeNanoseconds: mtime, recordedAt: recordedAt)
    }
}
