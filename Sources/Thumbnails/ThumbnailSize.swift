/// The freedesktop thumbnail sizes photoq writes: the largest side of the
/// thumbnail, in its own folder under `thumbnails/`.
public enum ThumbnailSize: String, Sendable, CaseIterable {
    case normal, large

    /// 128 or 256 pixels.
    public var pixels: Int {
        switch self {
        case .normal: return 128
        case .large: return 256
        }
    }
}
