import Imaging

/// A photo whose shorter side is under `min_side` pixels: an icon, a
/// tracking pixel, a thumbnail. Counted as skipped ("too small"), not failed.
public struct PhotoTooSmall: Error, Sendable, Equatable, CustomStringConvertible {
    public var size: ImageSize
    public var minimumSide: Int

    public var description: String {
        "\(size.width)×\(size.height) pixels, under the \(minimumSide)-pixel minimum side (min_side)"
    }

    static func check(_ size: ImageSize, minimumSide: Int) throws(PhotoTooSmall) {
        if min(size.width, size.height) < minimumSide { throw PhotoTooSmall(size: size, minimumSide: minimumSide) }
    }
}
