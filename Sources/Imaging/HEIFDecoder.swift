internal import CHEIF

/// HEIF/HEIC (HEVC) and AVIF (AV1) through libheif: the primary image (or
/// its thumbnail when that covers the target), grids assembled, 10/12-bit
/// converted to 8-bit, alpha composited. libheif applies
/// the container's irot/imir/clap transforms itself, so the EXIF orientation
/// (which by the HEIF rules must not be applied on top) is only reported as 1.
struct HEIFDecoder {
    let limit: PixelLimit
    let format: ImageFormat

    /// libheif, opened (and initialised) on the first HEIF or AVIF photo, or
    /// why it could not be.
    private static let opened: Result<cheif_library, ImageError> = {
        var reason: UnsafePointer<CChar>?
        guard let library = cheif_open(&reason) else {
            return .failure(.unsupported(message: reason.map { String(cString: $0) } ?? "libheif could not be opened"))
        }
        return .success(library.pointee)
    }()

    /// The opened library, for the helpers `decode` calls once it has checked that it opened.
    private static var libheif: cheif_library { try! opened.get() }

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        let heif = try Self.opened.get()
        guard let context = heif.heif_context_alloc() else { throw ImageError.outOfMemory }
        defer { heif.heif_context_free(context) }
        heif.heif_context_set_maximum_image_size_limit(context, Int32(clamping: limit.maximumPixels))
        try check(heif.heif_context_read_from_memory_without_copy(context, bytes.baseAddress, bytes.count, nil))
        var primary: OpaquePointer?
        try check(heif.heif_context_get_primary_image_handle(context, &primary))
        guard let handle = primary else { throw ImageError.corrupt(message: "\(format): no primary image") }
        defer { heif.heif_image_handle_release(handle) }
        let width = Int(heif.heif_image_handle_get_width(handle))
        let height = Int(heif.heif_image_handle_get_height(handle))
        try limit.check(width: width, height: height)

        // Phones store a small thumbnail beside the 12 MP grid: when it covers
        // the target it is the same picture at a fraction of the cost.
        let thumbnail = target.flatMap { smallestThumbnail(of: handle, covering: $0) }
        defer { if let thumbnail { heif.heif_image_handle_release(thumbnail) } }
        let image = try thumbnail.flatMap { try? decodeRGB($0) } ?? decodeRGB(handle)
        defer { heif.heif_image_release(image) }
        return DecodedPhoto(image: PixelConversion.reduce(try upright(image), toCover: target), format: format,
                            originalSize: ImageSize(width: width, height: height), orientation: 1,
                            taken: readExif(handle).taken)
    }

    /// The handle's decoded pixels, transforms applied, as 8-bit RGB(A).
    private func decodeRGB(_ handle: OpaquePointer) throws -> OpaquePointer {
        let heif = Self.libheif
        let hasAlpha = heif.heif_image_handle_has_alpha_channel(handle) != 0
        let options = heif.heif_decoding_options_alloc()
        defer { heif.heif_decoding_options_free(options) }
        var decoded: OpaquePointer?
        try check(heif.heif_decode_image(handle, &decoded, heif_colorspace_RGB,
                                    hasAlpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, options))
        guard let image = decoded else { throw ImageError.corrupt(message: "\(format): no decoded image") }
        return image
    }

    /// libheif's interleaved plane as photoq's RGB, alpha composited.
    private func upright(_ image: OpaquePointer) throws -> RGBImage {
        let heif = Self.libheif
        let hasAlpha = heif.heif_image_get_chroma_format(image) == heif_chroma_interleaved_RGBA
        var stride: Int32 = 0
        guard let plane = heif.heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride) else {
            throw ImageError.unsupported(message: "\(format): no interleaved RGB plane")
        }
        let outWidth = Int(heif.heif_image_get_width(image, heif_channel_interleaved))
        let outHeight = Int(heif.heif_image_get_height(image, heif_channel_interleaved))
        let planeBytes = UnsafeRawBufferPointer(start: plane, count: Int(stride) * outHeight)
        return hasAlpha
            ? PixelConversion.compositeRGBA(planeBytes, width: outWidth, height: outHeight, rowBytes: Int(stride),
                                            premultiplied: heif.heif_image_is_premultiplied_alpha(image) != 0)
            : PixelConversion.copyRGB(planeBytes, width: outWidth, height: outHeight, rowBytes: Int(stride))
    }

    /// The smallest thumbnail at least `target` in both dimensions (sizes
    /// as displayed, after the thumbnail's own transforms), retained.
    private func smallestThumbnail(of handle: OpaquePointer, covering target: ImageSize) -> OpaquePointer? {
        let heif = Self.libheif
        let count = Int(heif.heif_image_handle_get_number_of_thumbnails(handle))
        guard count > 0 else { return nil }
        var ids = [heif_item_id](repeating: 0, count: min(count, 16))
        let listed = Int(heif.heif_image_handle_get_list_of_thumbnail_IDs(handle, &ids, Int32(ids.count)))
        var best: (handle: OpaquePointer, pixels: Int)?
        for id in ids.prefix(listed) {
            var thumbnail: OpaquePointer?
            guard heif.heif_image_handle_get_thumbnail(handle, id, &thumbnail).code == heif_error_Ok, let thumbnail else {
                continue
            }
            let width = Int(heif.heif_image_handle_get_width(thumbnail))
            let height = Int(heif.heif_image_handle_get_height(thumbnail))
            if width >= target.width, height >= target.height, width * height < best?.pixels ?? Int.max {
                if let previous = best { heif.heif_image_handle_release(previous.handle) }
                best = (thumbnail, width * height)
            } else {
                heif.heif_image_handle_release(thumbnail)
            }
        }
        return best?.handle
    }

    /// The Exif item: a 4-byte offset to the TIFF header, then the TIFF.
    private func readExif(_ handle: OpaquePointer) -> ExifMetadata {
        let heif = Self.libheif
        var id = heif_item_id()
        guard heif.heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) == 1 else { return .absent }
        let size = heif.heif_image_handle_get_metadata_size(handle, id)
        guard size > 4, size < 16 << 20 else { return .absent }
        var block = [UInt8](repeating: 0, count: size)
        guard heif.heif_image_handle_get_metadata(handle, id, &block).code == heif_error_Ok else { return .absent }
        let offset = Int(block[0]) << 24 | Int(block[1]) << 16 | Int(block[2]) << 8 | Int(block[3])
        guard offset < size - 4 else { return .absent }
        return ExifMetadata.parse(block: Array(block[(4 + offset)...]))
    }

    private func check(_ error: heif_error) throws {
        guard error.code != heif_error_Ok else { return }
        let message = "\(format): " + (error.message.map { String(cString: $0) } ?? "libheif error \(error.code.rawValue)")
        switch (error.code, error.subcode) {
        case (heif_error_Memory_allocation_error, _): throw ImageError.outOfMemory
        case (_, heif_suberror_End_of_data): throw ImageError.truncated(message: message)
        case (heif_error_Unsupported_filetype, _), (heif_error_Unsupported_feature, _),
             (_, heif_suberror_Security_limit_exceeded):
            throw ImageError.unsupported(message: message)
        default: throw ImageError.corrupt(message: message)
        }
    }
}
