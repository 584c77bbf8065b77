internal import CTIFF

/// TIFF through libtiff's RGBA interface: RGB, palette, grey, CMYK, YCbCr,
/// 8 or 16 bits, JPEG-in-TIFF, the first page of a multi-page file. The
/// Orientation tag is read by the shared EXIF reader (a TIFF file is its own
/// EXIF structure) and applied here, once.
struct TIFFDecoder {
    let limit: PixelLimit

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard let handle = ctiff_open(base, bytes.count) else { throw ImageError.outOfMemory }
        defer { ctiff_destroy(handle) }
        try check(ctiff_status(handle), handle, bytes)
        var width: UInt32 = 0, height: UInt32 = 0
        try check(ctiff_size(handle, &width, &height), handle, bytes)
        try limit.check(width: Int(width), height: Int(height))
        let count = Int(width) * Int(height) * 4
        var rgba = [UInt8](repeating: 0, count: count)
        try check(rgba.withUnsafeMutableBytes { ctiff_read_rgba(handle, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count) },
                  handle, bytes)
        // libtiff packs each pixel as ABGR in a native uint32 (R G B A bytes on
        // little-endian machines), with alpha premultiplied.
        let stored = rgba.withUnsafeBytes {
            PixelConversion.compositeRGBA($0, width: Int(width), height: Int(height), premultiplied: true)
        }
        let exif = ExifMetadata.parse(tiff: bytes)
        return DecodedPhoto(image: PixelConversion.finish(stored, orientation: exif.orientation, target: target),
                            format: .tiff, originalSize: ImageSize(width: Int(width), height: Int(height)),
                            orientation: exif.orientation, taken: exif.taken)
    }

    private func check(_ status: Int32, _ handle: OpaquePointer, _ bytes: UnsafeRawBufferPointer) throws {
        switch status {
        case Int32(CTIFF_OK): return
        case Int32(CTIFF_OUT_OF_MEMORY): throw ImageError.outOfMemory
        case Int32(CTIFF_BAD_ARGUMENT): preconditionFailure("CTIFF called with a wrong buffer size")
        default:
            let text = String(cString: ctiff_message(handle))
            let message = "TIFF: " + (text.isEmpty ? "libtiff cannot read the file" : text)
            // libtiff says "Read error", "Seek error" or "past end" when the data runs out.
            let lower = text.lowercased()
            if lower.contains("read error") || lower.contains("past end") || lower.contains("seek") ||
               lower.contains("unexpected end") {
                throw ImageError.truncated(message: message)
            }
            if lower.contains("sorry") || lower.contains("not supported") || lower.contains("unsupported") {
                throw ImageError.unsupported(message: message)
            }
            throw ImageError.corrupt(message: message)
        }
    }
}
