/// The left–right mirror image of a (channels, size, size) CHW network input,
/// or of a batch of them laid end to end (rows never cross an input's
/// boundary), for flip test-time augmentation: a photo and its mirror show the same
/// things, so averaging their features removes some of the backbone's
/// sensitivity to where in the frame they are.
public func mirroredNetworkInput(_ input: [Float], size: Int) -> [Float] {
    precondition(size > 0 && input.count % (size * size) == 0, "input is not (channels, \(size), \(size))")
    var out = [Float](repeating: 0, count: input.count)
    input.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for row in stride(from: 0, to: input.count, by: size) {
                for x in 0..<size { dst[row + x] = src[row + size - 1 - x] }
            }
        }
    }
    return out
}

