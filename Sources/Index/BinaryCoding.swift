/// Little-endian writer for the index's stored values.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func write(_ value: UInt8) { bytes.append(value) }
    mutating func write(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func write(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func write(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func write(_ value: Int64) { write(UInt64(bitPattern: value)) }
    /// Raw bytes, no count (fixed-size fields, or the caller writes the count).
    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// A UTF-8 string behind a UInt32 byte count.
    mutating func write(string: String) {
        let utf8 = Array(string.utf8)
        write(UInt32(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Float32 values as little-endian bit patterns (no count; the caller writes it).
    mutating func write(floats: [Float]) {
        #if _endian(little)
        floats.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for value in floats { write(value.bitPattern) }
        #endif
    }

    /// Appends the checksum of everything written so far.
    mutating func writeChecksum() {
        let sum = bytes.withUnsafeBytes { Hash64.of($0) }
        write(sum)
    }
}

/// Bounds-checked little-endian reader; every failure is `.corruptRecord`.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let what: String
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, what: String) {
        self.bytes = bytes
        self.what = what
    }

    var remaining: Int { bytes.count - offset }

    func corrupt(_ reason: String) -> IndexError {
        IndexError(.corruptRecord, "\(what) is corrupt: \(reason)")
    }

    private mutating func take(_ count: Int) throws -> Int {
        guard count >= 0, count <= remaining else {
            throw corrupt("needs \(count) bytes at offset \(offset), only \(remaining) left")
        }
        defer { offset += count }
        return offset
    }

    mutating func readUInt8() throws -> UInt8 { bytes[try take(1)] }
    mutating func readUInt16() throws -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2), as: UInt16.self))
    }
    mutating func readUInt32() throws -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self))
    }
    mutating func readUInt64() throws -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self))
    }
    mutating func readInt64() throws -> Int64 { Int64(bitPattern: try readUInt64()) }

    mutating func readString(maxBytes: Int) throws -> String {
        let count = Int(try readUInt32())
        guard count <= maxBytes else { throw corrupt("string of \(count) bytes exceeds \(maxBytes)") }
        let start = try take(count)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
        guard let text = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
            throw corrupt("string at offset \(start) is not UTF-8")
        }
        return text
    }

    mutating func readFloats(count: Int) throws -> [Float] {
        let start = try take(count * 4)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            #if _endian(little)
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count * 4]))
            #else
            for i in 0..<count {
                buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
            }
            #endif
            initialized = count
        }
    }

    mutating func skip(_ count: Int) throws { _ = try take(count) }

    /// Checks the trailing checksum over everything before it, and that
    /// nothing follows it.
    mutating func verifyChecksum() throws {
        let covered = offset
        let stored = try readUInt64()
        guard remaining == 0 else { throw corrupt("\(remaining) unexpected trailing bytes") }
        let actual = Hash64.of(UnsafeRawBufferPointer(rebasing: bytes[0..<covered]))
        guard stored == actual else { throw corrupt("checksum mismatch") }
    }
}
