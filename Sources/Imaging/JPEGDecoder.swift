internal import CJPEG

/// What a decode produced and how.
public struct DecodedImage: Sendable {
    /// Upright RGB pixels (EXIF orientation already applied).
    public var image: RGBImage
    /// Size stored in the file, before DCT scaling and before rotation.
    public let originalWidth: Int
    public let originalHeight: Int
    /// libjpeg DCT scale used: the image was decoded at 1/scaleDenominator of
    /// its stored size (1, 2, 4 or 8).
    public let scaleDenominator: Int
    /// EXIF orientation found in the file (1–8; 1 when absent) and applied.
    public let orientation: Int
    public let header: JPEGHeader
}

/// Facts read from a JPEG header without decoding any pixels.
public struct JPEGHeader: Equatable, Sendable {
    public enum ColorSpace: String, Sendable { case grayscale, rgb, ycbcr, cmyk, ycck, unknown }
    /// Stored size (before rotation).
    public let width: Int
    public let height: Int
    public let components: Int
    public let colorSpace: ColorSpace
    public let progressive: Bool
    /// EXIF orientation (1–8; 1 when there is no tag).
    public let orientation: Int

    /// The size after applying the orientation (5–8 swap the axes).
    public var uprightSize: ImageSize {
        orientation >= 5 ? ImageSize(width: height, height: width) : ImageSize(width: width, height: height)
    }
}

/// Decodes JPEG files to upright RGB with libjpeg-turbo, decoding at the
/// smallest DCT scale that still covers the size the caller needs. Stateless
/// and thread-safe: every call uses its own libjpeg object.
public struct JPEGDecoder: Sendable {
    /// Images with more pixels than this (by their header) are refused before
    /// any decoding; defends against decompression bombs. Default 100 MP.
    public var maximumPixels: Int
    /// When true (default), any libjpeg data warning fails the decode as
    /// `.corrupt` (libjpeg would otherwise fill damaged blocks with grey);
    /// when false only truncation fails and damaged-but-readable images are
    /// returned. Truncation is always an error; padding bytes just before the
    /// end-of-image marker are never one.
    public var rejectsCorruptData: Bool

    public static let defaultMaximumPixels = 100_000_000

    public init(maximumPixels: Int = JPEGDecoder.defaultMaximumPixels, rejectsCorruptData: Bool = true) {
        self.maximumPixels = maximumPixels
        self.rejectsCorruptData = rejectsCorruptData
    }

    /// Reads and decodes the file at `path`. With a `targetSize`, decodes at the
    /// smallest DCT scale whose upright output is at least that size in both
    /// dimensions (the result may be larger; resize it afterwards).
    public func decode(path: String, targetSize: ImageSize? = nil) throws -> DecodedImage {
        try decode(data: FileBytes.read(path: path), targetSize: targetSize)
    }

    public func decode(data: [UInt8], targetSize: ImageSize? = nil) throws -> DecodedImage {
        try data.withUnsafeBytes { try decode(bytes: $0, targetSize: targetSize) }
    }

    /// Only the header: size, colour space and orientation, no pixels.
    public func readHeader(path: String) throws -> JPEGHeader {
        try readHeader(data: FileBytes.read(path: path))
    }

    public func readHeader(data: [UInt8]) throws -> JPEGHeader {
        try data.withUnsafeBytes { bytes in
            try withSession(bytes) { session in try session.readHeader() }
        }
    }

    public func decode(bytes: UnsafeRawBufferPointer, targetSize: ImageSize? = nil) throws -> DecodedImage {
        try withSession(bytes) { session in
            let header = try session.readHeader()
            guard header.width * header.height <= maximumPixels else {
                throw ImageError.tooLarge(width: header.width, height: header.height, limit: maximumPixels)
            }
            // The target is in upright coordinates; libjpeg works in stored ones.
            let storedTarget = targetSize.map {
                header.orientation >= 5 ? ImageSize(width: $0.height, height: $0.width) : $0
            }
            let denominator = try chooseScaleDenominator(session, target: storedTarget)
            let stored = try session.decodeRGB(scaleDenominator: denominator)
            return DecodedImage(image: orient(stored, orientation: header.orientation),
                                originalWidth: header.width, originalHeight: header.height,
                                scaleDenominator: denominator, orientation: header.orientation,
                                header: header)
        }
    }

    /// The largest of 8, 4, 2, 1 (libjpeg-turbo's SIMD-accelerated reduced
    /// IDCTs) whose scaled size still covers `target`.
    private func chooseScaleDenominator(_ session: DecodeSession, target: ImageSize?) throws -> Int {
        guard let target else { return 1 }
        for denominator in [8, 4, 2] {
            let size = try session.scaledSize(denominator: denominator)
            if size.width >= target.width && size.height >= target.height { return denominator }
        }
        return 1
    }

    private func withSession<T>(_ bytes: UnsafeRawBufferPointer, _ body: (DecodeSession) throws -> T) throws -> T {
        guard !bytes.isEmpty else { throw ImageError.emptyFile }
        // SOI marker followed by the start of another marker.
        guard bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF else {
            throw ImageError.notJPEG
        }
        guard let handle = cjpeg_decoder_create() else { throw ImageError.outOfMemory }
        defer { cjpeg_decoder_destroy(handle) }
        return try body(DecodeSession(handle: handle, bytes: bytes, rejectsCorruptData: rejectsCorruptData))
    }
}

/// One libjpeg decompression, valid inside `withSession`. Translates shim
/// return codes and recorded warnings into `ImageError`.
private struct DecodeSession {
    let handle: OpaquePointer
    let bytes: UnsafeRawBufferPointer
    let rejectsCorruptData: Bool

    func readHeader() throws -> JPEGHeader {
        var raw = cjpeg_header()
        try check(cjpeg_decoder_read_header(handle, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                            bytes.count, &raw))
        var payload: UnsafePointer<UInt8>?
        let exifLength = cjpeg_decoder_exif(handle, &payload)
        let orientation = payload.map { ExifOrientation.parse(UnsafeRawBufferPointer(start: $0, count: exifLength)) } ?? 1
        let colorSpace: JPEGHeader.ColorSpace
        switch raw.color_space {
        case Int32(CJPEG_CS_GRAY): colorSpace = .grayscale
        case Int32(CJPEG_CS_RGB): colorSpace = .rgb
        case Int32(CJPEG_CS_YCBCR): colorSpace = .ycbcr
        case Int32(CJPEG_CS_CMYK): colorSpace = .cmyk
        case Int32(CJPEG_CS_YCCK): colorSpace = .ycck
        default: colorSpace = .unknown
        }
        guard colorSpace != .unknown else {
            throw ImageError.unsupported(message: "colour space with \(raw.components) components is not supported")
        }
        return JPEGHeader(width: Int(raw.width), height: Int(raw.height), components: Int(raw.components),
                          colorSpace: colorSpace, progressive: raw.progressive != 0, orientation: orientation)
    }

    func scaledSize(denominator: Int) throws -> ImageSize {
        var width: Int32 = 0, height: Int32 = 0
        try check(cjpeg_decoder_scaled_size(handle, 1, Int32(denominator), &width, &height))
        return ImageSize(width: Int(width), height: Int(height))
    }

    /// Stored-orientation RGB at 1/denominator scale.
    func decodeRGB(scaleDenominator denominator: Int) throws -> RGBImage {
        var width: Int32 = 0, height: Int32 = 0
        try check(cjpeg_decoder_start(handle, 1, Int32(denominator), &width, &height))
        let count = Int(width) * Int(height) * 3
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = cjpeg_decoder_read_rgb(handle, buffer.baseAddress!, count)
            // On failure libjpeg may have filled only part; zero so the array is valid.
            if status != CJPEG_OK { buffer.initialize(repeating: 0) }
            initialized = count
        }
        try check(status)
        try checkWarnings()
        return RGBImage(uncheckedWidth: Int(width), height: Int(height), pixels: pixels)
    }

    /// A fatal libjpeg error; if the data had run out first, that is the real cause.
    private func check(_ status: Int32) throws {
        if status == CJPEG_OK { return }
        if cjpeg_decoder_warning(handle) == Int32(CJPEG_WARNING_TRUNCATED) {
            throw ImageError.truncated(message: String(cString: cjpeg_decoder_warning_message(handle)))
        }
        switch status {
        case Int32(CJPEG_OUT_OF_MEMORY): throw ImageError.outOfMemory
        case Int32(CJPEG_BAD_ARGUMENT): preconditionFailure("CJPEG called out of order or with a bad buffer")
        default: throw ImageError.corrupt(message: String(cString: cjpeg_decoder_error_message(handle)))
        }
    }

    /// libjpeg carried on past damaged data (grey fill); refuse the result.
    private func checkWarnings() throws {
        let message = String(cString: cjpeg_decoder_warning_message(handle))
        switch cjpeg_decoder_warning(handle) {
        case Int32(CJPEG_WARNING_TRUNCATED): throw ImageError.truncated(message: message)
        case Int32(CJPEG_WARNING_CORRUPT_DATA) where rejectsCorruptData: throw ImageError.corrupt(message: message)
        default: return
        }
    }
}
