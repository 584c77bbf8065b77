/// A photo's grid cells as the reranker reads them: each of `rows` cells as
/// `rank` int8 coordinates in the reranker's basis, times one scale per
/// cell (value = scale × coordinate). The index stores them opaque to the
/// model; which basis they belong to is the model id's business.
public struct PhotoCells: Sendable, Equatable {
    public let rows: Int
    public let rank: Int
    /// (rows): each cell's step.
    public let scales: [Float]
    /// (rows, rank), cell-major.
    public let coordinates: [Int8]

    public init(rows: Int, rank: Int, scales: [Float], coordinates: [Int8]) {
        precondition(rows >= 0 && rank >= 0 && scales.count == rows && coordinates.count == rows * rank,
                     "PhotoCells: \(scales.count) scales and \(coordinates.count) coordinates for \(rows) × \(rank)")
        self.rows = rows
        self.rank = rank
        self.scales = scales
        self.coordinates = coordinates
    }

    /// Bytes one photo's cells take stored (without the 5-byte header and 8-byte checksum).
    public var payloadBytes: Int { rows * (rank + 4) }
}

// Stored form in the cells table (key: the photo id, as in photos):
//   u8 version (1) | u16 rows | u16 rank | f32 scales (rows) | i8 coordinates (rows × rank) | u64 checksum
enum CellCoding {
    static let encodingVersion: UInt8 = 1

    static func encoded(_ cells: PhotoCells) -> [UInt8] {
        var writer = ByteWriter(capacity: 13 + cells.payloadBytes)
        writer.write(encodingVersion)
        writer.write(UInt16(cells.rows))
        writer.write(UInt16(cells.rank))
        writer.write(floats: cells.scales)
        cells.coordinates.withUnsafeBytes { writer.append(Array($0)) }
        writer.writeChecksum()
        return writer.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> PhotoCells {
        var reader = ByteReader(bytes, what: "stored cells")
        let version = try reader.readUInt8()
        guard version == encodingVersion else {
            throw reader.corrupt("version \(version), this program reads \(encodingVersion)")
        }
        let rows = Int(try reader.readUInt16()), rank = Int(try reader.readUInt16())
        guard reader.remaining == rows * (rank + 4) + 8 else {
            throw reader.corrupt("\(rows) × \(rank) cells in \(reader.remaining) bytes")
        }
        let scales = try reader.readFloats(count: rows)
        let start = reader.offset
        try reader.skip(rows * rank)
        let coordinates = [Int8](UnsafeRawBufferPointer(rebasing: bytes[start..<(start + rows * rank)]).bindMemory(to: Int8.self))
        try reader.verifyChecksum()
        guard scales.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw reader.corrupt("a cell scale is negative or not finite") }
        return PhotoCells(rows: rows, rank: rank, scales: scales, coordinates: coordinates)
    }
}
