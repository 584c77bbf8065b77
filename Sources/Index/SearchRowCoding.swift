internal import CVectorScan

// Stored form of one photo's search row in the searchrows table (key: the
// photo id, as in photos), written in the same transaction as its record:
//   u8 version (1) | u16 D | f32 scale | i64 date | u64 content hash
//   | u8 format length | format | high plane (⌈D/2⌉) | low plane (⌈D/2⌉)
//   | u64 checksum
// The planes are `SearchRows`' nibble planes, ready to copy: start-up reads
// these (about 420 bytes a photo) instead of decoding and quantising every
// record (1.5 KB of Float32 vector each, and its metadata).
enum SearchRowCoding {
    static let encodingVersion: UInt8 = 1

    /// The row for a record with a vector.
    static func encoded(_ record: PhotoRecord) -> [UInt8] {
        record.vector.withUnsafeBufferPointer { vector in
            encoded(vector: vector, date: record.searchDateNanoseconds, contentHash: record.contentHash, format: record.format)
        }
    }

    /// The row for a record read in place (`SearchEntry`, whose vector bytes
    /// may be unaligned), as a migration builds the table.
    static func encoded(_ entry: SearchEntry, dimension: Int) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: dimension) { vector in
            UnsafeMutableRawBufferPointer(vector).copyMemory(from: entry.vector)
            return encoded(vector: UnsafeBufferPointer(vector), date: entry.date, contentHash: entry.contentHash, format: entry.format)
        }
    }

    private static func encoded(vector: UnsafeBufferPointer<Float>, date: Int64, contentHash: UInt64, format: String) -> [UInt8] {
        let dimension = vector.count
        let rowBytes = (dimension + 1) / 2
        // Formats are short ASCII names; one too long for a record is not kept.
        let format = format.utf8.count <= PhotoRecord.maxFormatBytes ? Array(format.utf8) : []
        var planes = [UInt8](repeating: 0, count: 2 * rowBytes)
        let scale = planes.withUnsafeMutableBufferPointer { planes in
            pq_quantize_planes(vector.baseAddress, dimension, planes.baseAddress, planes.baseAddress! + rowBytes)
        }
        var writer = ByteWriter(capacity: 40 + format.count + 2 * rowBytes)
        writer.write(encodingVersion)
        writer.write(UInt16(dimension))
        writer.write(scale.bitPattern)
        writer.write(date)
        writer.write(contentHash)
        writer.write(UInt8(format.count))
        writer.append(format)
        writer.append(planes)
        writer.writeChecksum()
        return writer.bytes
    }
}

/// A stored search row read in place: the planes point into the map and are
/// valid only while the read transaction is.
struct StoredSearchRow {
    let scale: Float
    let date: Int64
    let contentHash: UInt64
    let format: String
    let high: UnsafeRawBufferPointer
    let low: UnsafeRawBufferPointer

    /// Checks version, dimension, lengths and checksum. A format equal to
    /// `formatLike` (the previous row's, as a rule) reuses that string.
    init(decoding bytes: UnsafeRawBufferPointer, dimension: Int, formatLike: String = "") throws {
        var reader = ByteReader(bytes, what: "search row")
        let version = try reader.readUInt8()
        guard version == SearchRowCoding.encodingVersion else {
            throw reader.corrupt("version \(version), this program reads \(SearchRowCoding.encodingVersion)")
        }
        let storedDimension = Int(try reader.readUInt16())
        guard storedDimension == dimension else {
            throw reader.corrupt("\(storedDimension)-d, the index holds \(dimension)-d vectors")
        }
        scale = Float(bitPattern: try reader.readUInt32())
        date = try reader.readInt64()
        contentHash = try reader.readUInt64()
        let formatCount = Int(try reader.readUInt8())
        guard formatCount <= PhotoRecord.maxFormatBytes else { throw reader.corrupt("format of \(formatCount) bytes") }
        let formatStart = reader.offset
        try reader.skip(formatCount)
        let rowBytes = (dimension + 1) / 2
        let highStart = reader.offset
        try reader.skip(2 * rowBytes)
        try reader.verifyChecksum()
        guard scale.isFinite, scale >= 0 else { throw reader.corrupt("scale \(scale)") }
        let formatBytes = UnsafeRawBufferPointer(rebasing: bytes[formatStart..<formatStart + formatCount])
        if formatLike.utf8.elementsEqual(formatBytes) {
            format = formatLike
        } else {
            guard let text = String(validating: formatBytes.bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw reader.corrupt("format is not UTF-8")
            }
            format = text
        }
        high = UnsafeRawBufferPointer(rebasing: bytes[highStart..<highStart + rowBytes])
        low = UnsafeRawBufferPointer(rebasing: bytes[highStart + rowBytes..<highStart + 2 * rowBytes])
    }
}
