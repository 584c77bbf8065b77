/// Resizes an image to width × height. Shrinking averages (no aliasing);
/// enlarging interpolates. Sizes must be positive.
public func resize(_ image: RGBImage, width: Int, height: Int, filter: ResizeFilter = .bilinear) -> RGBImage {
    precondition(width > 0 && height > 0, "resize target must be positive, got \(width)×\(height)")
    if width == image.width && height == image.height { return image }
    let horizontal = ResampleWeights(inputSize: image.width, outputSize: width, filter: filter)
    let vertical = ResampleWeights(inputSize: image.height, outputSize: height, filter: filter)
    var values = [Float](repeating: 0, count: width * height * 3)
    image.pixels.withUnsafeBufferPointer { src in
        values.withUnsafeMutableBufferPointer { dst in
            resample(src, width: image.width, height: image.height, channels: 3,
                     horizontal: horizontal, vertical: vertical,
                     into: dst, layout: .interleaved(channels: 3))
        }
    }
    let pixels = [UInt8](unsafeUninitializedCapacity: values.count) { buffer, count in
        values.withUnsafeBufferPointer { v in
            for i in 0..<v.count { buffer[i] = UInt8(min(max(v[i] + 0.5, 0), 255)) }
        }
        count = values.count
    }
    return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
}

/// Resizes a single-channel float map (e.g. a saliency heat map).
/// values (height, width) -> (toHeight, toWidth), row-major.
public func resize(_ values: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int,
                   filter: ResizeFilter = .bilinear) -> [Float] {
    precondition(width > 0 && height > 0 && toWidth > 0 && toHeight > 0, "resize sizes must be positive")
    precondition(values.count == width * height, "resize: \(values.count) values for \(width)×\(height)")
    let horizontal = ResampleWeights(inputSize: width, outputSize: toWidth, filter: filter)
    let vertical = ResampleWeights(inputSize: height, outputSize: toHeight, filter: filter)
    var out = [Float](repeating: 0, count: toWidth * toHeight)
    values.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            resample(src, width: width, height: height, channels: 1,
                     horizontal: horizontal, vertical: vertical,
                     into: dst, layout: .interleaved(channels: 1))
        }
    }
    return out
}
