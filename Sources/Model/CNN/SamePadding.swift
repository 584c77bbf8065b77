/// TensorFlow "SAME" padding for one spatial axis: the output has
/// ceil(size / stride) positions and, when the total padding is odd, the extra
/// row or column goes at the bottom/right (the weights were trained that way).
public struct SamePadding: Sendable, Equatable {
    public let output: Int
    public let before: Int
    public let after: Int

    public init(size: Int, kernel: Int, stride: Int) {
        output = (size + stride - 1) / stride
        let total = max((output - 1) * stride + kernel - size, 0)
        before = total / 2
        after = total - before
    }
}
