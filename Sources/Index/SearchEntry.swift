/// What the start-up load needs of a stored record, read in place: the
/// fields of `PhotoRecord(decoding:)` it skips (path, model id, tags) are
/// stepped over without building strings, and the vector is left in the
/// map for the quantiser. The checksum is still verified.
struct SearchEntry {
    let id: UInt64
    /// `PhotoRecord.searchDateNanoseconds`.
    let date: Int64
    let contentHash: UInt64
    let format: String
    /// The vector's bytes (D Float32 values, little-endian, maybe unaligned); empty without one.
    let vector: UnsafeRawBufferPointer

    init(decoding bytes: UnsafeRawBufferPointer) throws {
        var reader = ByteReader(bytes, what: "photo record")
        let version = try reader.readUInt8()
        guard (PhotoRecord.oldestReadableVersion...PhotoRecord.encodingVersion).contains(version) else {
            throw reader.corrupt("record version \(version), this program reads \(PhotoRecord.oldestReadableVersion) to \(PhotoRecord.encodingVersion)")
        }
        id = try reader.readUInt64()
        try reader.skip(24) // device, inode, size
        let mtime = try reader.readInt64()
        contentHash = try reader.readUInt64()
        try Self.skipString(&reader, maxBytes: PhotoRecord.maxPathBytes)
        try Self.skipString(&reader, maxBytes: PhotoRecord.maxModelIDBytes)
        var date = mtime
        var format = ""
        if version >= 2 {
            let flags = try reader.readUInt8()
            let wallClock = try reader.readInt64()
            let offset = Int32(bitPattern: try reader.readUInt32())
            guard flags & ~3 == 0, flags != 2, abs(Int(offset)) <= 86_400 else {
                throw reader.corrupt("capture date flags \(flags) with offset \(offset)")
            }
            if flags & 1 != 0 {
                date = CaptureTime(wallClockNanoseconds: wallClock, utcOffsetSeconds: flags & 2 != 0 ? offset : nil).instantNanoseconds
            }
            format = try reader.readString(maxBytes: PhotoRecord.maxFormatBytes)
        }
        if version >= 3 {
            let count = try reader.readUInt8()
            if count != PhotoRecord.untaggedMarker {
                guard Int(count) <= PhotoTag.maximumCount else { throw reader.corrupt("\(count) tags") }
                for _ in 0..<count {
                    let length = Int(try reader.readUInt8())
                    guard length > 0, length <= PhotoTag.maximumNameBytes else { throw reader.corrupt("tag name of \(length) bytes") }
                    try reader.skip(length + 1)
                }
            }
        }
        let vectorCount = Int(try reader.readUInt32())
        let featureCount = Int(try reader.readUInt32())
        guard vectorCount <= PhotoRecord.maxFloats, featureCount <= PhotoRecord.maxFloats else {
            throw reader.corrupt("float counts \(vectorCount), \(featureCount) out of range")
        }
        let start = reader.offset
        try reader.skip(4 * (vectorCount + featureCount))
        try reader.verifyChecksum()
        self.date = date
        self.format = format
        vector = UnsafeRawBufferPointer(rebasing: bytes[start..<start + 4 * vectorCount])
    }

    private static func skipString(_ reader: inout ByteReader, maxBytes: Int) throws {
        let count = Int(try reader.readUInt32())
        guard count <= maxBytes else { throw reader.corrupt("string of \(count) bytes exceeds \(maxBytes)") }
        try reader.skip(count)
    }
}
