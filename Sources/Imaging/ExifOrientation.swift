/// Reads the EXIF orientation tag (0x0112) from an APP1 payload. Cameras store
/// the sensor's pixels as shot and record with this tag how to turn them
/// upright; values 1–8 follow the TIFF/EXIF specification. The parsing is
/// `ExifMetadata`'s, shared by every format that carries EXIF.
enum ExifOrientation {
    /// The orientation in `payload` ("Exif\0\0" + TIFF), or 1 when absent,
    /// malformed or out of range: a damaged tag must never fail a decode.
    static func parse(_ payload: UnsafeRawBufferPointer) -> Int {
        let exifSignature: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]   // "Exif\0\0"
        guard payload.count >= 6, zip(payload.prefix(6), exifSignature).allSatisfy({ $0 == $1 }) else { return 1 }
        return ExifMetadata.parse(block: payload).orientation
    }

    static func parse(_ payload: [UInt8]) -> Int {
        payload.withUnsafeBytes { parse($0) }
    }
}
