/// Half-precision storage of backbone features: 2 bytes a value instead of
/// 4, so a photo's 1280-value feature fits one 4 KiB LMDB page. The
/// reranker's input loses at most 2⁻¹¹ of each value (relative); the search
/// vectors stay Float32.
enum Float16Coding {
    /// The largest magnitude a half holds; larger values would become infinite.
    static let largestFinite = Float(Float16.greatestFiniteMagnitude)

    static func fits(_ values: [Float]) -> Bool { values.allSatisfy { abs($0) <= largestFinite } }

    /// Appends `values` as little-endian halves (rounded to nearest).
    static func append(_ values: [Float], to writer: inout ByteWriter) {
        for value in values { writer.write(Float16(value).bitPattern) }
    }

    static func read(count: Int, from reader: inout ByteReader) throws -> [Float] {
        var values: [Float] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(Float(Float16(bitPattern: try reader.readUInt16()))) }
        return values
    }

    /// What storing `values` gives back.
    static func rounded(_ values: [Float]) -> [Float] { values.map { Float(Float16($0)) } }
}
