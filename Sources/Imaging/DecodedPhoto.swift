/// What `ImageDecoder` produced from a file of any supported format.
public struct DecodedPhoto: Sendable {
    /// Upright RGB pixels (orientation already applied, alpha composited onto
    /// `ImageDecoder.background`), at or just above the requested size.
    public var image: RGBImage
    /// The format found by the file's magic bytes.
    public let format: ImageFormat
    /// Size stored in the file, before scaling and before rotation.
    public let originalSize: ImageSize
    /// The orientation (1–8, EXIF numbering) that was applied; 1 when none.
    public let orientation: Int
    /// When the photo was taken, from its EXIF block; nil when not recorded.
    public let taken: CaptureDate?
}
