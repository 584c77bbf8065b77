/// An 8-bit RGB image, rows top to bottom, pixels interleaved.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// (H, W, 3) row-major, R G B per pixel.
    public var pixels: [UInt8]

    /// `pixels` must hold exactly width × height × 3 bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidImage(message: "size \(width)×\(height) is not positive")
        }
        guard pixels.count == width * height * 3 else {
            throw ImageError.invalidImage(
                message: "\(pixels.count) bytes for \(width)×\(height) RGB (expected \(width * height * 3))")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image, or filled with `fill` (R, G, B).
    public init(width: Int, height: Int, fill: (UInt8, UInt8, UInt8) = (0, 0, 0)) {
        precondition(width > 0 && height > 0, "image size must be positive")
        self.width = width
        self.height = height
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            for i in stride(from: 0, to: pixels.count, by: 3) {
                pixels[i] = fill.0; pixels[i + 1] = fill.1; pixels[i + 2] = fill.2
            }
        }
        self.pixels = pixels
    }

    /// Internal: sizes already checked by the caller.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The (R, G, B) at column x, row y.
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.0; pixels[i + 1] = newValue.1; pixels[i + 2] = newValue.2
        }
    }
}

/// A width and height in pixels.
public struct ImageSize: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// A square of `side` × `side`.
    public init(square side: Int) { self.init(width: side, height: side) }

    public var pixelCount: Int { width * height }
    public var description: String { "\(width)×\(height)" }
}
