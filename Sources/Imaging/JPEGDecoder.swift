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
    /// Bytes libjpeg will hold for the whole image's coefficients (progressive
    /// or multi-scan files), 0 for single-scan files.
    public var coefficientBytes: Int = 0
    /// Bytes of libjpeg's working sample rows at full size.
    public var rowBytes: Int = 0

    /// The size after applying the orientation (5–8 swap the axes).
    public var uprightSize: ImageSize {
        orientation >= 5 ? ImageSize(width: height, height: width) : ImageSize(width: width, height: height)
    }
}

/// Decodes JPEG files to upright RGB with libjpeg-turbo, decoding at the
/// smallest DCT scale that still covers the size the caller needs. Stateless
/// and thread-safe: every call uses its own libjpeg object.
public struct JPEGDecoder: Sendable {
    /// Limits on pixels, working memory, file size and CPU time; a file over
    /// any of them is refused (`.tooLarge`, `.overBudget`) before the work is
    /// done. Defends against decompression and CPU bombs.
    public var budget: DecodeBudget
    /// Shared with the other decoders running at the same time, if any: their
    /// working memory together stays within its capacity, and its `cancel()`
    /// stops this decode between rows.
    public var limiter: DecodeLimiter?
    /// Progressive files have a scan per refinement (real photos about 10);
    /// each scan walks the whole image, so thousands of tiny ones are a CPU bomb.
    public var maximumScans: Int
    /// When true (default), any libjpeg data warning fails the decode as
    /// `.damaged` (libjpeg would otherwise fill damaged blocks with grey or
    /// carry on out of sync); when false only truncation fails and
    /// damaged-but-readable images are returned. Truncation is always an
    /// error; zero padding just before the end-of-image marker is never one.
    public var rejectsCorruptData: Bool
    /// False refuses a symbolic link given as the path (the daemon's scanner
    /// never follows links either).
    public var followsSymlinks: Bool

    public static let defaultMaximumPixels = DecodeBudget.standard.maximumPixels
    public static let defaultMaximumScans = 100

    /// Images with more pixels than this (by their header) are refused before
    /// any decoding. Default 100 MP.
    public var maximumPixels: Int {
        get { budget.maximumPixels }
        set { budget.maximumPixels = newValue }
    }

    public init(maximumPixels: Int = JPEGDecoder.defaultMaximumPixels, rejectsCorruptData: Bool = true) {
        self.init(budget: DecodeBudget(maximumPixels: maximumPixels), rejectsCorruptData: rejectsCorruptData)
    }

    public init(budget: DecodeBudget, limiter: DecodeLimiter? = nil, maximumScans: Int = JPEGDecoder.defaultMaximumScans,
                rejectsCorruptData: Bool = true, followsSymlinks: Bool = true) {
        self.budget = budget
        self.limiter = limiter
        self.maximumScans = maximumScans
        self.rejectsCorruptData = rejectsCorruptData
        self.followsSymlinks = followsSymlinks
    }

    /// Reads and decodes the file at `path`. With a `targetSize`, decodes at the
    /// smallest DCT scale whose upright output is at least that size in both
    /// dimensions (the result may be larger; resize it afterwards).
    public func decode(path: String, targetSize: ImageSize? = nil) throws -> DecodedImage {
        try decode(data: readFile(path), targetSize: targetSize)
    }

    public func decode(data: [UInt8], targetSize: ImageSize? = nil) throws -> DecodedImage {
        try data.withUnsafeBytes { try decode(bytes: $0, targetSize: targetSize) }
    }

    /// Only the header: size, colour space and orientation, no pixels.
    public func readHeader(path: String) throws -> JPEGHeader {
        try readHeader(data: readFile(path))
    }

    private func readFile(_ path: String) throws -> [UInt8] {
        if limiter?.isCancelled == true { throw ImageError.cancelled }
        return try FileBytes.read(path: path, maximumSize: budget.maximumFileBytes, followSymlinks: followsSymlinks)
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
            let output = try session.scaledSize(denominator: denominator)
            let working = workingMemory(header, output: output, compressed: bytes.count)
            try budget.checkWorkingMemory(working, for: "decoding this \(header.width)×\(header.height)"
                                          + (header.progressive ? " progressive" : "") + " \(header.colorSpace.rawValue) JPEG")
            let stored = try limiter.map { try $0.withReservation(working) { try session.decodeRGB(scaleDenominator: denominator) } }
                ?? session.decodeRGB(scaleDenominator: denominator)
            return DecodedImage(image: orient(stored, orientation: header.orientation),
                                originalWidth: header.width, originalHeight: header.height,
                                scaleDenominator: denominator, orientation: header.orientation,
                                header: header)
        }
    }

    /// What the decode will hold at its peak: the compressed bytes, libjpeg's
    /// whole-image coefficient buffer (progressive and multi-scan files: 2
    /// bytes per coefficient, every component, so a 10000×10000 CMYK file
    /// needs 800 MB however small it is), its working rows and the output.
    private func workingMemory(_ header: JPEGHeader, output: ImageSize, compressed: Int) -> Int {
        let pixels = output.width * output.height * 3
        let cmykRows = header.components == 4 ? output.width * 4 * 16 : 0
        return compressed + header.coefficientBytes + header.rowBytes + pixels + cmykRows
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
        if limiter?.isCancelled == true { throw ImageError.cancelled }
        guard let handle = cjpeg_decoder_create() else { throw ImageError.outOfMemory }
        defer { cjpeg_decoder_destroy(handle) }
        var limits = cjpeg_limits(max_memory: budget.maximumWorkingBytes, max_scans: Int32(clamping: maximumScans),
                                  max_cpu_seconds: budget.maximumCPUSeconds,
                                  cancel: limiter.map { UnsafePointer($0.cancelFlag) })
        guard cjpeg_decoder_set_limits(handle, &limits) == CJPEG_OK else { preconditionFailure("limits set after the header") }
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
        var header = JPEGHeader(width: Int(raw.width), height: Int(raw.height), components: Int(raw.components),
                                colorSpace: colorSpace, progressive: raw.progressive != 0, orientation: orientation)
        header.coefficientBytes = Int(raw.coefficient_bytes)
        header.rowBytes = Int(raw.row_bytes)
        return header
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

    /// A fatal libjpeg error; if the data had run out first, that is the real
    /// cause. A limit or a cancel stops the decode whatever the data.
    private func check(_ status: Int32) throws {
        if status == CJPEG_OK { return }
        let message = String(cString: cjpeg_decoder_error_message(handle))
        switch status {
        case Int32(CJPEG_CANCELLED): throw ImageError.cancelled
        case Int32(CJPEG_TOO_MANY_SCANS), Int32(CJPEG_TOO_SLOW): throw ImageError.overBudget(message: message)
        case Int32(CJPEG_OVER_MEMORY): throw ImageError.overBudget(message: "libjpeg needed more memory than the limit (\(message))")
        default: break
        }
        if cjpeg_decoder_warning(handle) == Int32(CJPEG_WARNING_TRUNCATED) {
            throw ImageError.truncated(message: String(cString: cjpeg_decoder_warning_message(handle)))
        }
        switch status {
        case Int32(CJPEG_OUT_OF_MEMORY): throw ImageError.outOfMemory
        case Int32(CJPEG_BAD_ARGUMENT): preconditionFailure("CJPEG called out of order or with a bad buffer")
        default: throw ImageError.corrupt(message: message)
        }
    }

    /// libjpeg carried on past damaged data (grey fill); refuse the result.
    private func checkWarnings() throws {
        let message = String(cString: cjpeg_decoder_warning_message(handle))
        switch cjpeg_decoder_warning(handle) {
        case Int32(CJPEG_WARNING_TRUNCATED): throw ImageError.truncated(message: message)
        case Int32(CJPEG_WARNING_CORRUPT_DATA) where rejectsCorruptData: throw ImageError.damaged(message: message)
        default: return
        }
    }
}
