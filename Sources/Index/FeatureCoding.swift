// Stored form of a backbone feature in the features table (key: the photo
// id, as in photos):
//   u8 version (1) | u32 F | f16 feature (F) | u64 checksum
// 1280 halves and 13 bytes fit one 4 KiB LMDB page (Float32 needed two,
// with the record's vector).
enum FeatureCoding {
    static let encodingVersion: UInt8 = 1

    static func encoded(_ feature: [Float]) -> [UInt8] {
        var writer = ByteWriter(capacity: 13 + 2 * feature.count)
        writer.write(encodingVersion)
        writer.write(UInt32(feature.count))
        Float16Coding.append(feature, to: &writer)
        writer.writeChecksum()
        return writer.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> [Float] {
        var reader = ByteReader(bytes, what: "stored feature")
        let version = try reader.readUInt8()
        guard version == encodingVersion else {
            throw reader.corrupt("version \(version), this program reads \(encodingVersion)")
        }
        let count = Int(try reader.readUInt32())
        guard count <= PhotoRecord.maxFloats, reader.remaining == 2 * count + 8 else {
            throw reader.corrupt("\(count) values in \(reader.remaining) bytes")
        }
        let feature = try Float16Coding.read(count: count, from: &reader)
        try reader.verifyChecksum()
        return feature
    }
}
