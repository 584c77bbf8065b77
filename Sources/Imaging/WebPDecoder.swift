internal import CWebP

/// WebP through libwebp: lossy, lossless, alpha, and the first frame of an
/// animation (via the demuxer, which also finds the EXIF chunk). libwebp's
/// own scaler decodes straight to about the requested size.
struct WebPDecoder {
    let limit: PixelLimit

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var data = WebPData(bytes: base, size: bytes.count)
        var state = WEBP_DEMUX_PARSING_HEADER
        guard let demux = WebPDemuxPartial(&data, &state) else {
            throw ImageError.corrupt(message: "WebP: invalid RIFF container")
        }
        defer { WebPDemuxDelete(demux) }
        guard state == WEBP_DEMUX_DONE else { throw ImageError.truncated(message: "WebP: the container is incomplete") }
        let width = Int(WebPDemuxGetI(demux, WEBP_FF_CANVAS_WIDTH))
        let height = Int(WebPDemuxGetI(demux, WEBP_FF_CANVAS_HEIGHT))
        // libwebp scales while decoding: the output near the target is what it allocates.
        try limit.check(width: width, height: height, bytesPerPixel: 1)
        let exif = readExif(demux)

        var frame = WebPIterator()
        guard WebPDemuxGetFrame(demux, 1, &frame) != 0 else { throw ImageError.corrupt(message: "WebP: no frame") }
        defer { WebPDemuxReleaseIterator(&frame) }
        guard frame.complete != 0 else { throw ImageError.truncated(message: "WebP: the first frame is incomplete") }
        let fillsCanvas = frame.x_offset == 0 && frame.y_offset == 0 && Int(frame.width) == width && Int(frame.height) == height
        // A frame smaller than the canvas is drawn at its offset at full size.
        let storedTarget = fillsCanvas ? target.map { exif.orientation >= 5 ? ImageSize(width: $0.height, height: $0.width) : $0 } : nil
        var stored = try decodeFrame(frame, width: Int(frame.width), height: Int(frame.height), target: storedTarget)
        if !fillsCanvas { stored = place(stored, x: Int(frame.x_offset), y: Int(frame.y_offset), width: width, height: height) }
        return DecodedPhoto(image: PixelConversion.finish(stored, orientation: exif.orientation, target: target),
                            format: .webp, originalSize: ImageSize(width: width, height: height),
                            orientation: exif.orientation, taken: exif.taken)
    }

    /// RGB at the frame's size, or scaled down to just cover `target`.
    private func decodeFrame(_ frame: WebPIterator, width: Int, height: Int, target: ImageSize?) throws -> RGBImage {
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else { throw ImageError.unsupported(message: "WebP: libwebp version mismatch") }
        var outWidth = width, outHeight = height
        if let target, target.width < width, target.height < height {
            let scale = max(Double(target.width) / Double(width), Double(target.height) / Double(height))
            outWidth = max(target.width, Int((Double(width) * scale).rounded(.up)))
            outHeight = max(target.height, Int((Double(height) * scale).rounded(.up)))
            config.options.use_scaling = 1
            config.options.scaled_width = Int32(outWidth)
            config.options.scaled_height = Int32(outHeight)
        }
        // Opaque frames decode straight to RGB; only alpha needs compositing.
        let hasAlpha = frame.has_alpha != 0
        let stride = outWidth * (hasAlpha ? 4 : 3)
        var pixels = [UInt8](repeating: 0, count: stride * outHeight)
        let status = pixels.withUnsafeMutableBufferPointer { buffer -> VP8StatusCode in
            config.output.colorspace = hasAlpha ? MODE_RGBA : MODE_RGB
            config.output.is_external_memory = 1
            config.output.u.RGBA.rgba = buffer.baseAddress
            config.output.u.RGBA.stride = Int32(stride)
            config.output.u.RGBA.size = buffer.count
            defer { WebPFreeDecBuffer(&config.output) }
            return WebPDecode(frame.fragment.bytes, frame.fragment.size, &config)
        }
        switch status {
        case VP8_STATUS_OK: break
        case VP8_STATUS_NOT_ENOUGH_DATA: throw ImageError.truncated(message: "WebP: not enough data")
        case VP8_STATUS_OUT_OF_MEMORY: throw ImageError.outOfMemory
        case VP8_STATUS_UNSUPPORTED_FEATURE: throw ImageError.unsupported(message: "WebP: unsupported feature")
        default: throw ImageError.corrupt(message: "WebP: invalid bitstream (libwebp status \(status.rawValue))")
        }
        guard hasAlpha else { return RGBImage(uncheckedWidth: outWidth, height: outHeight, pixels: pixels) }
        return pixels.withUnsafeBytes { PixelConversion.compositeRGBA($0, width: outWidth, height: outHeight) }
    }

    /// The frame drawn onto a background-filled canvas.
    private func place(_ frame: RGBImage, x: Int, y: Int, width: Int, height: Int) -> RGBImage {
        let grey = PixelConversion.background
        var canvas = RGBImage(width: width, height: height, fill: (grey, grey, grey))
        for row in 0..<frame.height where y + row < height {
            for column in 0..<frame.width where x + column < width {
                canvas[x + column, y + row] = frame[column, row]
            }
        }
        return canvas
    }

    private func readExif(_ demux: OpaquePointer) -> ExifMetadata {
        var chunk = WebPChunkIterator()
        defer { WebPDemuxReleaseChunkIterator(&chunk) }
        guard WebPDemuxGetChunk(demux, "EXIF", 1, &chunk) != 0, let bytes = chunk.chunk.bytes else { return .absent }
        return ExifMetadata.parse(block: UnsafeRawBufferPointer(start: bytes, count: chunk.chunk.size))
    }
}
