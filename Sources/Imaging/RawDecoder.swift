internal import CRaw

/// Camera raw files through LibRaw. The camera's embedded preview JPEG is
/// used when it covers the requested size (fast, and the camera's own
/// rendering); otherwise a half-size demosaic. LibRaw's orientation
/// (`sizes.flip`) is applied once, by photoq, in both cases.
struct RawDecoder {
    let limit: PixelLimit
    let rejectsCorruptData: Bool

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        // LibRaw reads a missing tail of uncompressed data as black without a
        // word: where the layout is TIFF's, check that the data is all there.
        if let end = TIFFStructure(bytes)?.imageDataEnd(), end > bytes.count {
            throw ImageError.truncated(message: "camera raw: the image data ends at byte \(end), the file at \(bytes.count)")
        }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var info = craw_info()
        guard let handle = craw_open(base, bytes.count, &info) else { throw ImageError.outOfMemory }
        defer { craw_destroy(handle) }
        try check(craw_status(handle), handle)
        // 2 bytes a sensor pixel: the 16-bit mosaic LibRaw unpacks (a preview needs less).
        try limit.check(width: Int(info.raw_width), height: Int(info.raw_height), bytesPerPixel: 2)
        let orientation = Self.orientation(flip: Int(info.flip))
        // DNG, CR2, NEF, ARW… are TIFF structures with the camera's Exif IFD
        // (the orientation still comes from LibRaw, which knows the vendors' quirks).
        let taken = ExifMetadata.parse(tiff: bytes).taken
        let visible = ImageSize(width: Int(info.width), height: Int(info.height))

        if let preview = try previewJPEG(handle, target: target, orientation: orientation, visible: visible) {
            return DecodedPhoto(image: preview.image, format: .raw, originalSize: visible,
                                orientation: preview.orientation, taken: taken)
        }
        var pixels: UnsafePointer<UInt8>?
        var width: Int32 = 0, height: Int32 = 0
        try check(craw_half_size_rgb(handle, &pixels, &width, &height), handle)
        let count = Int(width) * Int(height) * 3
        let stored = RGBImage(uncheckedWidth: Int(width), height: Int(height),
                              pixels: Array(UnsafeBufferPointer(start: pixels!, count: count)))
        return DecodedPhoto(image: PixelConversion.finish(stored, orientation: orientation, target: target),
                            format: .raw, originalSize: visible, orientation: orientation, taken: taken)
    }

    /// The embedded JPEG, upright, when it is at least the requested size
    /// (with no request: at least half the sensor's visible size). A preview
    /// carrying its own EXIF orientation is turned by that, not again by flip.
    private func previewJPEG(_ handle: OpaquePointer, target: ImageSize?, orientation: Int,
                             visible: ImageSize) throws -> (image: RGBImage, orientation: Int)? {
        var jpeg: UnsafePointer<UInt8>?
        var size = 0
        guard craw_preview_jpeg(handle, &jpeg, &size) == Int32(CRAW_OK), let jpeg else { return nil }
        let bytes = UnsafeRawBufferPointer(start: jpeg, count: size)
        let decoder = JPEGDecoder(maximumPixels: limit.maximumPixels, rejectsCorruptData: rejectsCorruptData)
        guard let header = try? decoder.readHeader(data: Array(bytes)) else { return nil }
        let applied = header.orientation != 1 ? header.orientation : orientation
        let upright = applied >= 5 ? ImageSize(width: header.height, height: header.width)
                                   : ImageSize(width: header.width, height: header.height)
        let visibleUpright = orientation >= 5 ? ImageSize(width: visible.height, height: visible.width) : visible
        let needed = target ?? ImageSize(width: visibleUpright.width / 2, height: visibleUpright.height / 2)
        guard upright.width >= needed.width, upright.height >= needed.height else { return nil }
        // Target in the preview's stored axes when photoq (not the JPEG) will rotate.
        let jpegTarget = header.orientation == 1 && orientation >= 5
            ? target.map { ImageSize(width: $0.height, height: $0.width) } : target
        guard let decoded = try? decoder.decode(bytes: bytes, targetSize: jpegTarget) else { return nil }
        let image = header.orientation != 1 ? decoded.image : orient(decoded.image, orientation: orientation)
        return (image, applied)
    }

    /// dcraw's flip (bit 2 transpose, bit 1 flip rows, bit 0 flip columns) as
    /// the EXIF orientation `orient` applies.
    static func orientation(flip: Int) -> Int {
        switch flip & 7 {
        case 1: return 2
        case 2: return 4
        case 3: return 3
        case 4: return 5
        case 5: return 8
        case 6: return 6
        case 7: return 7
        default: return 1
        }
    }

    private func check(_ status: Int32, _ handle: OpaquePointer) throws {
        switch status {
        case Int32(CRAW_OK): return
        case Int32(CRAW_OUT_OF_MEMORY): throw ImageError.outOfMemory
        case Int32(CRAW_UNAVAILABLE): throw ImageError.unsupported(message: String(cString: craw_message(handle)))
        default:
            let text = String(cString: craw_message(handle))
            let message = "camera raw: " + text
            if text.contains("nsupported file format") { throw ImageError.unsupported(message: message) }
            if text.contains("end of file") || text.contains("I/O error") {
                throw ImageError.truncated(message: message)
            }
            throw ImageError.corrupt(message: message)
        }
    }
}
