internal import CJPEG

/// Encodes RGB images to baseline JPEG with libjpeg-turbo (for rendering
/// explanations and for test fixtures).
public enum JPEGEncoder {
    /// JPEG bytes for `image` at `quality` 1…100 (4:2:0, optimised Huffman off).
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw ImageError.invalidImage(message: "JPEG quality \(quality) is outside 1…100")
        }
        guard image.pixels.count == image.width * image.height * 3 else {
            throw ImageError.invalidImage(message: "\(image.pixels.count) bytes for \(image.width)×\(image.height) RGB")
        }
        var output: UnsafeMutablePointer<UInt8>?
        var outputSize: UInt = 0
        var message = [CChar](repeating: 0, count: Int(CJPEG_MESSAGE_CAPACITY))
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            cjpeg_encode_rgb(pixels.baseAddress!, Int32(image.width), Int32(image.height), Int32(quality),
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
