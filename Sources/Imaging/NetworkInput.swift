/// How a photo of any aspect ratio becomes the square network input.
public enum InputTransform: String, Sendable, CaseIterable {
    /// Resize the whole photo to size × size, ignoring aspect ratio. The
    /// default: the Flickr8k training photos were squashed this way, and
    /// search must see everything in the photo, including its edges.
    case squash
    /// Shorter side to size × 256/224, then the central size × size square
    /// (the usual ImageNet evaluation crop).
    case centerCrop

    /// The smallest decoded size that this transform never has to enlarge,
    /// for choosing the JPEG DCT scale.
    public func minimumDecodeSize(for size: Int) -> ImageSize {
        switch self {
        case .squash: return ImageSize(square: size)
        case .centerCrop: return ImageSize(square: Self.shorterSide(for: size))
        }
    }

    static func shorterSide(for size: Int) -> Int { (size * 256 + 112) / 224 }
}

/// The network input for an upright photo: (3, size, size) CHW floats, RGB in
/// 0…255 (the model applies its own (x − 127)/128).
public func networkInput(_ image: RGBImage, size: Int = 224, transform: InputTransform = .squash) -> [Float] {
    precondition(size > 0, "network input size must be positive")
    let horizontal: ResampleWeights, vertical: ResampleWeights
    switch transform {
    case .squash:
        horizontal = ResampleWeights(inputSize: image.width, outputSize: size, filter: .bilinear)
        vertical = ResampleWeights(inputSize: image.height, outputSize: size, filter: .bilinear)
    case .centerCrop:
        // Scale so the shorter side is `shorter`, then take the centre square:
        // computing only the kept outputs is the same as resizing then cropping.
        let shorter = InputTransform.shorterSide(for: size)
        let scaledWidth: Int, scaledHeight: Int
        if image.width <= image.height {
            scaledWidth = shorter
            scaledHeight = max(size, (image.height * shorter + image.width / 2) / image.width)
        } else {
            scaledHeight = shorter
            scaledWidth = max(size, (image.width * shorter + image.height / 2) / image.height)
        }
        let left = (scaledWidth - size) / 2, top = (scaledHeight - size) / 2
        horizontal = ResampleWeights(inputSize: image.width, outputSize: scaledWidth,
                                     range: left..<(left + size), filter: .bilinear)
        vertical = ResampleWeights(inputSize: image.height, outputSize: scaledHeight,
                                   range: top..<(top + size), filter: .bilinear)
    }
    var out = [Float](repeating: 0, count: 3 * size * size)
    image.pixels.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            resample(src, width: image.width, height: image.height, channels: 3,
                     horizontal: horizontal, vertical: vertical,
                     into: dst, layout: .planar(width: size, height: size))
        }
    }
    return out
}
