/// One call from a photo path to network input, for the daemon and tools.
public enum ImageLoader {
    /// Decodes `path` (any format `ImageDecoder` reads) at the smallest
    /// sufficient size, turns it upright and returns (3, size, size) CHW
    /// floats, RGB 0…255.
    public static func loadNetworkInput(path: String, size: Int = 224, transform: InputTransform = .squash,
                                        decoder: ImageDecoder = ImageDecoder()) throws -> [Float] {
        let decoded = try decoder.decode(path: path, targetSize: transform.minimumDecodeSize(for: size))
        return networkInput(decoded.image, size: size, transform: transform)
    }

    /// The same from bytes already in memory.
    public static func loadNetworkInput(data: [UInt8], size: Int = 224, transform: InputTransform = .squash,
                                        decoder: ImageDecoder = ImageDecoder()) throws -> [Float] {
        let decoded = try decoder.decode(data: data, targetSize: transform.minimumDecodeSize(for: size))
        return networkInput(decoded.image, size: size, transform: transform)
    }
}
