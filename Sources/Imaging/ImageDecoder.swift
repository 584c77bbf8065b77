/// The one entry point for decoding a photo of any supported format. The
/// format comes from the magic bytes, never the name; each format goes to
/// its own decoder over its own library, and every result is upright 8-bit
/// RGB at or just above `targetSize`. Stateless and thread-safe.
public struct ImageDecoder: Sendable {
    /// What one decode may cost (pixels, working memory, file size, CPU).
    public var budget: DecodeBudget
    /// Shared by decoders running at the same time (the daemon's decode
    /// threads), so their working memory together stays within one budget
    /// and a stop cancels them all; nil: each decode is only checked alone.
    public let limiter: DecodeLimiter?
    /// Damaged data that a library would patch over (grey blocks) fails the
    /// decode when true (default), as `JPEGDecoder.rejectsCorruptData`.
    public var rejectsCorruptData: Bool
    /// False refuses a symbolic link given as the path (O_NOFOLLOW).
    public var followsSymlinks: Bool

    /// Images whose header declares more pixels than this are refused before
    /// any pixels are decoded (decompression bombs). Default 100 MP.
    public var maximumPixels: Int {
        get { budget.maximumPixels }
        set { budget.maximumPixels = newValue }
    }

    public init(maximumPixels: Int = JPEGDecoder.defaultMaximumPixels, rejectsCorruptData: Bool = true) {
        self.init(budget: DecodeBudget(maximumPixels: maximumPixels), rejectsCorruptData: rejectsCorruptData)
    }

    public init(budget: DecodeBudget, limiter: DecodeLimiter? = nil, rejectsCorruptData: Bool = true,
                followsSymlinks: Bool = true) {
        self.budget = budget
        self.limiter = limiter
        self.rejectsCorruptData = rejectsCorruptData
        self.followsSymlinks = followsSymlinks
    }

    /// Reads and decodes the file at `path`. With a `targetSize` (upright),
    /// decoders that can scale while decoding do, and the rest box-reduce by
    /// a whole factor: the result covers the target in both dimensions.
    public func decode(path: String, targetSize: ImageSize? = nil) throws -> DecodedPhoto {
        if limiter?.isCancelled == true { throw ImageError.cancelled }
        return try decode(data: FileBytes.read(path: path, maximumSize: budget.maximumFileBytes,
                                               followSymlinks: followsSymlinks),
                          targetSize: targetSize)
    }

    public func decode(data: [UInt8], targetSize: ImageSize? = nil) throws -> DecodedPhoto {
        try data.withUnsafeBytes { try decode(bytes: $0, targetSize: targetSize) }
    }

    public func decode(bytes: UnsafeRawBufferPointer, targetSize: ImageSize? = nil) throws -> DecodedPhoto {
        guard !bytes.isEmpty else { throw ImageError.emptyFile }
        let limit = PixelLimit(budget: budget, limiter: limiter)
        defer { limit.release() }
        switch FormatSniffer.detect(bytes) {
        case .unknown:
            throw ImageError.unrecognisedFormat(leadingBytes: Array(bytes.prefix(8)))
        case let .video(container):
            throw ImageError.unsupportedVideo(container: container)
        case .image(.jpeg): return try decodeJPEG(bytes, targetSize: targetSize)
        case .image(.png): return try PNGDecoder(limit: limit).decode(bytes, target: targetSize)
        case .image(.webp): return try WebPDecoder(limit: limit).decode(bytes, target: targetSize)
        case .image(.heif): return try HEIFDecoder(limit: limit, format: .heif).decode(bytes, target: targetSize)
        case .image(.avif): return try HEIFDecoder(limit: limit, format: .avif).decode(bytes, target: targetSize)
        case .image(.gif): return try GIFDecoder(limit: limit).decode(bytes, target: targetSize)
        case .image(.bmp): return try BMPDecoder(limit: limit).decode(bytes, target: targetSize)
        case .image(.raw): return try raw(limit).decode(bytes, target: targetSize)
        case .image(.tiff):
            do {
                return try TIFFDecoder(limit: limit).decode(bytes, target: targetSize)
            } catch let error as ImageError {
                // A raw the sniffer took for a plain TIFF (an unknown vendor layout).
                if case .tooLarge = error { throw error }
                if let photo = try? raw(limit).decode(bytes, target: targetSize) { return photo }
                throw error
            }
        }
    }

    /// Which format the bytes hold, by magic bytes (nil: none photoq decodes;
    /// videos are nil too).
    public static func format(of bytes: [UInt8]) -> ImageFormat? {
        bytes.withUnsafeBytes { buffer in
            if case let .image(format) = FormatSniffer.detect(buffer) { return format }
            return nil
        }
    }

    private func raw(_ limit: PixelLimit) -> RawDecoder {
        RawDecoder(limit: limit, rejectsCorruptData: rejectsCorruptData)
    }

    /// JPEG keeps its own decoder (DCT scaling, libjpeg warnings); the
    /// capture date comes from the same APP1 block its orientation did.
    private func decodeJPEG(_ bytes: UnsafeRawBufferPointer, targetSize: ImageSize?) throws -> DecodedPhoto {
        let decoded = try JPEGDecoder(budget: budget, limiter: limiter, rejectsCorruptData: rejectsCorruptData)
            .decode(bytes: bytes, targetSize: targetSize)
        let taken = JPEGSegments.exifPayload(bytes).flatMap { ExifMetadata.parse(block: $0).taken }
        return DecodedPhoto(image: decoded.image, format: .jpeg,
                            originalSize: ImageSize(width: decoded.originalWidth, height: decoded.originalHeight),
                            orientation: decoded.orientation, taken: taken)
    }
}

/// Walks JPEG marker segments up to the first scan.
enum JPEGSegments {
    /// The first APP1 payload starting "Exif\0\0".
    static func exifPayload(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var offset = 2
        while offset + 4 <= bytes.count, bytes[offset] == 0xFF {
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }   // fill byte
            if marker == 0xDA || marker == 0xD9 { return nil }   // start of scan, end of image
            let length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard length >= 2, offset + 2 + length <= bytes.count else { return nil }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[offset + 4..<offset + 2 + length])
            if marker == 0xE1, payload.starts(with: [0x45, 0x78, 0x69, 0x66, 0, 0]) { return payload }
            offset += 2 + length
        }
        return nil
    }
}
