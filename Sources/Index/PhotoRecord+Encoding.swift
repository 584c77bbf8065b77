// Stored form of PhotoRecord (little-endian):
//   u8 version (4) | u64 id | u64 device | u64 inode | u64 size | i64 mtime_ns
//   | u64 content_hash | u32 n + path utf8 | u32 n + model id utf8
//   | u8 taken flags (bit 0: taken, bit 1: offset known) | i64 taken wall-clock ns
//   | i32 taken UTC offset s | u32 n + format utf8
//   | u8 tag count (0xFF: never tagged) | per tag: u8 n + name utf8, u8 score×255
//   | u32 D | u32 F | f32 vector (D) | f32 feature (F) | u64 checksum
// From version 4 on, `PhotoIndex` stores records with F = 0 and keeps the
// backbone feature apart, in the features table (`FeatureCoding`): a record
// is about 1.8 KB instead of 7, so scans of the records (the start-up load,
// the writer's inode map) read a quarter of the bytes. The index's records
// of versions 1–3 hold the feature inline; it moves them out when it opens
// an older index (`IndexMigration`). Version 1 lacks the taken and format fields; it still
// decodes (taken nil, format empty). Version 2 lacks the tags; it decodes as
// never tagged.
// The fixed fields and strings come first so a metadata-only decode touches
// only the record's first page; the checksum covers every byte before it.

extension PhotoRecord {
    public static let encodingVersion: UInt8 = 4
    /// The first version whose feature lives in the features table.
    static let featureApartVersion: UInt8 = 4
    static let untaggedMarker: UInt8 = 0xFF
    /// The oldest version this program still reads.
    static let oldestReadableVersion: UInt8 = 1
    static let maxFormatBytes = 64
    static let maxPathBytes = 1 << 16
    static let maxModelIDBytes = 1 << 10
    static let maxFloats = 1 << 20

    /// The versioned binary form, every field included (`PhotoIndex` stores
    /// `withoutFeature().encoded()` and the feature apart).
    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 100 + 66 * (tags?.count ?? 0) + path.utf8.count + modelID.utf8.count + format.utf8.count
                                + 4 * (vector.count + feature.count))
        writer.write(Self.encodingVersion)
        writer.write(id)
        writer.write(device)
        writer.write(inode)
        writer.write(size)
        writer.write(mtimeNanoseconds)
        writer.write(contentHash)
        writer.write(string: path)
        writer.write(string: modelID)
        writer.write(UInt8((taken != nil ? 1 : 0) | (taken?.utcOffsetSeconds != nil ? 2 : 0)))
        writer.write(taken?.wallClockNanoseconds ?? 0)
        writer.write(UInt32(bitPattern: taken?.utcOffsetSeconds ?? 0))
        writer.write(string: format)
        if let tags {
            let kept = tags.prefix(PhotoTag.maximumCount)
            writer.write(UInt8(kept.count))
            for tag in kept {
                let name = Array(tag.name.utf8.prefix(PhotoTag.maximumNameBytes))
                writer.write(UInt8(name.count))
                for byte in name { writer.write(byte) }
                writer.write(tag.quantisedScore)
            }
        } else {
            writer.write(Self.untaggedMarker)
        }
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

    /// The record as the index stores it: its feature goes to the features table.
    func withoutFeature() -> PhotoRecord {
        var record = self
        record.feature = []
        record.cells = nil
        return record
    }

    /// The version byte of stored record bytes (nil when empty).
    static func version(of bytes: UnsafeRawBufferPointer) -> UInt8? { bytes.first }

    /// Decodes from a buffer (e.g. straight from the LMDB map). A record the
    /// index stored from version 4 on decodes with an empty feature: the
    /// index reads that from the features table.
    /// - Parameter includeFloats: false skips the vector, the feature and the
    ///   checksum (lengths are still checked), so listing paths and stat data
    ///   does not read every record's 6 KB of floats.
    public init(decoding bytes: UnsafeRawBufferPointer, includeFloats: Bool = true) throws {
        var reader = ByteReader(bytes, what: "photo record")
        let version = try reader.readUInt8()
        guard (Self.oldestReadableVersion...Self.encodingVersion).contains(version) else {
            throw reader.corrupt("record version \(version), this program reads \(Self.oldestReadableVersion) to \(Self.encodingVersion)")
        }
        let id = try reader.readUInt64()
        let device = try reader.readUInt64()
        let inode = try reader.readUInt64()
        let size = try reader.readUInt64()
        let mtime = try reader.readInt64()
        let hash = try reader.readUInt64()
        let path = try reader.readString(maxBytes: Self.maxPathBytes)
        let modelID = try reader.readString(maxBytes: Self.maxModelIDBytes)
        var taken: CaptureTime?
        var format = ""
        if version >= 2 {
            let flags = try reader.readUInt8()
            let wallClock = try reader.readInt64()
            let offset = Int32(bitPattern: try reader.readUInt32())
            guard flags & ~3 == 0, flags != 2, abs(Int(offset)) <= 86_400 else {
                throw reader.corrupt("capture date flags \(flags) with offset \(offset)")
            }
            if flags & 1 != 0 { taken = CaptureTime(wallClockNanoseconds: wallClock, utcOffsetSeconds: flags & 2 != 0 ? offset : nil) }
            format = try reader.readString(maxBytes: Self.maxFormatBytes)
        }
        var tags: [PhotoTag]?
        if version >= 3 {
            let count = try reader.readUInt8()
            if count != Self.untaggedMarker {
                guard Int(count) <= PhotoTag.maximumCount else { throw reader.corrupt("\(count) tags") }
                var list: [PhotoTag] = []
                for _ in 0..<count {
                    let length = Int(try reader.readUInt8())
                    guard length > 0, length <= PhotoTag.maximumNameBytes else { throw reader.corrupt("tag name of \(length) bytes") }
                    var name: [UInt8] = []
                    for _ in 0..<length { name.append(try reader.readUInt8()) }
                    guard let text = String(validating: name, as: UTF8.self) else { throw reader.corrupt("tag name is not UTF-8") }
                    list.append(PhotoTag(name: text, quantisedScore: try reader.readUInt8()))
                }
                tags = list
            }
        }
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
                  contentHash: hash, modelID: modelID, vector: vector, feature: feature, taken: taken, format: format,
                  tags: tags)
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
