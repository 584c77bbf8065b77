internal import CSPNG

/// PNG through libspng: every colour type and bit depth (palette, grey,
/// 16-bit, tRNS), interlaced or not, converted by libspng to RGB8 (RGBA8 and
/// composited when there is transparency); orientation from the eXIf chunk.
struct PNGDecoder {
    let limit: PixelLimit

    /// Ancillary chunks (text, ICC, eXIf) larger than this are refused, so a
    /// damaged length cannot make libspng buffer gigabytes.
    private static let chunkLimit = 64 << 20

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        guard let context = spng_ctx_new(0) else { throw ImageError.outOfMemory }
        defer { spng_ctx_free(context) }
        try check(spng_set_chunk_limits(context, Self.chunkLimit, Self.chunkLimit))
        try check(spng_set_png_buffer(context, bytes.baseAddress, bytes.count))
        var header = spng_ihdr()
        try check(spng_get_ihdr(context, &header))
        let width = Int(header.width), height = Int(header.height)
        try limit.check(width: width, height: height)

        // Opaque images decode straight to RGB; only alpha or tRNS needs compositing.
        var transparency = spng_trns()
        let hasAlpha = header.color_type == UInt8(SPNG_COLOR_TYPE_GRAYSCALE_ALPHA.rawValue)
            || header.color_type == UInt8(SPNG_COLOR_TYPE_TRUECOLOR_ALPHA.rawValue)
            || spng_get_trns(context, &transparency) == 0
        let format = Int32(hasAlpha ? SPNG_FMT_RGBA8.rawValue : SPNG_FMT_RGB8.rawValue)
        var size = 0
        try check(spng_decoded_image_size(context, format, &size))
        var pixels = [UInt8](repeating: 0, count: size)
        try check(pixels.withUnsafeMutableBytes {
            spng_decode_image(context, $0.baseAddress, size, format, Int32(SPNG_DECODE_TRNS.rawValue))
        })
        let exif = readExif(context)
        let stored = hasAlpha
            ? pixels.withUnsafeBytes { PixelConversion.compositeRGBA($0, width: width, height: height) }
            : RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
        return DecodedPhoto(image: PixelConversion.finish(stored, orientation: exif.orientation, target: target),
                            format: .png, originalSize: ImageSize(width: width, height: height),
                            orientation: exif.orientation, taken: exif.taken)
    }

    private func readExif(_ context: OpaquePointer) -> ExifMetadata {
        var exif = spng_exif()
        guard spng_get_exif(context, &exif) == 0, let data = exif.data, exif.length > 0 else { return .absent }
        return ExifMetadata.parse(block: UnsafeRawBufferPointer(start: data, count: exif.length))
    }

    private func check(_ status: Int32) throws {
        guard status != 0 else { return }
        let message = "PNG: " + String(cString: spng_strerror(status))
        switch status {
        case SPNG_IO_EOF.rawValue, SPNG_EOF.rawValue: throw ImageError.truncated(message: message)
        case SPNG_EMEM.rawValue: throw ImageError.outOfMemory
        default: throw ImageError.corrupt(message: message)
        }
    }
}
