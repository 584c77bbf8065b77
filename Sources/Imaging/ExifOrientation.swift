/// Reads the EXIF orientation tag (0x0112) from an APP1 payload. Cameras store
/// the sensor's pixels as shot and record with this tag how to turn them
/// upright; values 1–8 follow the TIFF/EXIF specification.
enum ExifOrientation {
    /// The orientation in `payload` ("Exif\0\0" + TIFF), or 1 when absent,
    /// malformed or out of range: a damaged tag must never fail a decode.
    static func parse(_ payload: UnsafeRawBufferPointer) -> Int {
        let exifSignature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]   // "Exif\0\0"
        guard payload.count >= 6, zip(payload.prefix(6), exifSignature).allSatisfy({ $0 == $1 }) else { return 1 }
        let tiff = UnsafeRawBufferPointer(rebasing: payload[6...])
        return orientation(inTIFF: tiff) ?? 1
    }

    static func parse(_ payload: [UInt8]) -> Int {
        payload.withUnsafeBytes { parse($0) }
    }

    /// Walks IFD0 of a TIFF structure: byte order, magic 42, then 12-byte entries.
    private static func orientation(inTIFF tiff: UnsafeRawBufferPointer) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let bigEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): bigEndian = false   // "II", Intel
        case (0x4D, 0x4D): bigEndian = true    // "MM", Motorola
        default: return nil
        }
        let reader = Reader(bytes: tiff, bigEndian: bigEndian)
        guard reader.uint16(at: 2) == 42, let ifd = reader.uint32(at: 4).map(Int.init),
              let entryCount = reader.uint16(at: ifd).map(Int.init) else { return nil }
        let orientationTag = 0x0112, shortType = 3
        for index in 0..<entryCount {
            let entry = ifd + 2 + 12 * index
            guard let tag = reader.uint16(at: entry) else { return nil }
            guard Int(tag) == orientationTag else { continue }
            guard let type = reader.uint16(at: entry + 2), Int(type) == shortType,
                  let value = reader.uint16(at: entry + 8) else { return nil }
            return (1...8).contains(Int(value)) ? Int(value) : nil
        }
        return nil
    }

    /// Bounds-checked integer reads in the TIFF's byte order.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let bigEndian: Bool

        func uint16(at offset: Int) -> UInt16? {
            guard offset >= 0, offset + 2 <= bytes.count else { return nil }
            let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
            return bigEndian ? a << 8 | b : b << 8 | a
        }

        func uint32(at offset: Int) -> UInt32? {
            guard let first = uint16(at: offset), let second = uint16(at: offset + 2) else { return nil }
            return bigEndian ? UInt32(first) << 16 | UInt32(second) : UInt32(second) << 16 | UInt32(first)
        }
    }
}
