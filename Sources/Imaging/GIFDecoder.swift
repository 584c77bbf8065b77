internal import CGIF

/// GIF through giflib: the first frame drawn on the logical screen,
/// transparency composited. (GIF has no orientation or EXIF.)
struct GIFDecoder {
    let limit: PixelLimit

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard let handle = cgif_open(base, bytes.count) else { throw ImageError.outOfMemory }
        defer { cgif_destroy(handle) }
        try check(cgif_status(handle), handle)
        var width: Int32 = 0, height: Int32 = 0
        cgif_size(handle, &width, &height)
        try limit.check(width: Int(width), height: Int(height))
        let count = Int(width) * Int(height) * 4
        var rgba = [UInt8](repeating: 0, count: count)
        try check(rgba.withUnsafeMutableBytes {
            cgif_read_first_frame(handle, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count)
        }, handle)
        let stored = rgba.withUnsafeBytes { PixelConversion.compositeRGBA($0, width: Int(width), height: Int(height)) }
        return DecodedPhoto(image: PixelConversion.reduce(stored, toCover: target), format: .gif,
                            originalSize: ImageSize(width: Int(width), height: Int(height)), orientation: 1, taken: nil)
    }

    private func check(_ status: Int32, _ handle: OpaquePointer) throws {
        switch status {
        case Int32(CGIF_OK): return
        case Int32(CGIF_OUT_OF_MEMORY): throw ImageError.outOfMemory
        case Int32(CGIF_BAD_ARGUMENT): preconditionFailure("CGIF called with a wrong buffer size")
        default:
            let text = String(cString: cgif_message(handle))
            let message = "GIF: " + text
            // giflib's words for data that ran out.
            if text.contains("Failed to read") || text.contains("EOF detected") {
                throw ImageError.truncated(message: message)
            }
            throw ImageError.corrupt(message: message)
        }
    }
}
