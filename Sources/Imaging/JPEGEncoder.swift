internal import CJPEG

/// Encodes RGB images to baseline JPEG with libjpeg-turbo (for rendering
/// explanations and for test fixtures).
public enum JPEGEncoder {
    /// JPEG bytes for `image` at `quality` 1…100 (YCbCr 4:2:0, JFIF).
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        try encode(image.pixels, width: image.width, height: image.height, components: 3,
                   kind: CJPEG_ENCODE_RGB, quality: quality)
    }

    /// How four-component pixels are stored.
    enum CMYKStorage { case cmyk, ycck }

    /// Adobe-style CMYK JPEGs from (H, W, 4) inverted CMYK (255 = no ink), as
    /// Photoshop writes them. Used to build decoder fixtures.
    static func encodeCMYK(_ pixels: [UInt8], width: Int, height: Int, storage: CMYKStorage,
                           quality: Int = 90) throws -> [UInt8] {
        try encode(pixels, width: width, height: height, components: 4,
                   kind: storage == .cmyk ? CJPEG_ENCODE_CMYK : CJPEG_ENCODE_YCCK, quality: quality)
    }

    /// pixels (H, W, components) -> JPEG bytes.
    private static func encode(_ pixels: [UInt8], width: Int, height: Int, components: Int,
                               kind: Int, quality: Int) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw ImageError.invalidImage(message: "JPEG quality \(quality) is outside 1…100")
        }
        guard width > 0, height > 0, width <= 65_500, height <= 65_500 else {
            throw ImageError.invalidImage(message: "cannot encode \(width)×\(height) as JPEG (1…65500 per side)")
        }
        guard pixels.count == width * height * components else {
            throw ImageError.invalidImage(message: "\(pixels.count) bytes for \(width)×\(height)×\(components)")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var outputSize: UInt = 0
        var message = [CChar](repeating: 0, count: Int(CJPEG_MESSAGE_CAPACITY))
        let status = pixels.withUnsafeBufferPointer { buffer in
            cjpeg_encode(buffer.baseAddress!, Int32(width), Int32(height), Int32(kind), Int32(quality),
                         &output, &outputSize, &message)
        }
        guard status == CJPEG_OK, let output else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw ImageError.encodingFailed(message: text.isEmpty ? "libjpeg status \(status)" : text)
        }
        defer { cjpeg_free(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(outputSize)))
    }
}
