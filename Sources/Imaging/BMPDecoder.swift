/// BMP/DIB, written here because Debian 12 packages no standalone BMP
/// library (libnsbmp is not in bookworm; ImageMagick would be a whole
/// toolkit for one simple format). Uncompressed 1/4/8-bit palette, 16/24/32-bit
/// and BI_BITFIELDS, bottom-up or top-down; RLE and embedded JPEG/PNG are refused.
struct BMPDecoder {
    let limit: PixelLimit

    func decode(_ bytes: UnsafeRawBufferPointer, target: ImageSize?) throws -> DecodedPhoto {
        let reader = LittleEndianReader(bytes: bytes)
        guard let pixelOffset = reader.u32(10), let headerSize = reader.u32(14) else { throw truncated("file header") }
        let width: Int, rawHeight: Int, bitsPerPixel: Int, compression: Int
        var paletteCount = 0
        if headerSize == 12 {   // OS/2 BITMAPCOREHEADER
            guard let w = reader.u16(18), let h = reader.u16(20), let bpp = reader.u16(24) else { throw truncated("core header") }
            (width, rawHeight, bitsPerPixel, compression) = (Int(w), Int(h), Int(bpp), 0)
        } else {
            guard let w = reader.s32(18), let h = reader.s32(22), let bpp = reader.u16(28), let c = reader.u32(30),
                  let colours = reader.u32(46) else { throw truncated("info header") }
            (width, rawHeight, bitsPerPixel, compression) = (Int(w), Int(h), Int(bpp), Int(c))
            paletteCount = Int(colours)
        }
        let height = abs(rawHeight), topDown = rawHeight < 0
        try limit.check(width: width, height: height)
        let masks = try channelMasks(reader, headerSize: Int(headerSize), bitsPerPixel: bitsPerPixel, compression: compression)

        let rowBytes = (width * bitsPerPixel + 31) / 32 * 4
        let start = Int(pixelOffset)
        guard start >= 0, start + rowBytes * height <= bytes.count else { throw truncated("pixel data") }
        let palette = try readPalette(reader, headerSize: Int(headerSize), bitsPerPixel: bitsPerPixel, count: paletteCount)

        var rgba = [UInt8](repeating: 255, count: width * height * 4)
        rgba.withUnsafeMutableBufferPointer { out in
            for row in 0..<height {
                let source = start + (topDown ? row : height - 1 - row) * rowBytes
                var d = row * width * 4
                for x in 0..<width {
                    let pixel: (UInt8, UInt8, UInt8, UInt8)
                    switch bitsPerPixel {
                    case 1, 2, 4, 8:
                        let bitOffset = x * bitsPerPixel
                        let byte = Int(bytes[source + bitOffset / 8])
                        let index = (byte >> (8 - bitsPerPixel - bitOffset % 8)) & ((1 << bitsPerPixel) - 1)
                        let c = index < palette.count ? palette[index] : (0, 0, 0)
                        pixel = (c.0, c.1, c.2, 255)
                    case 24:
                        let s = source + x * 3
                        pixel = (bytes[s + 2], bytes[s + 1], bytes[s], 255)
                    default:   // 16 or 32 through masks
                        let s = source + x * (bitsPerPixel / 8)
                        let value = bitsPerPixel == 16 ? UInt32(bytes[s]) | UInt32(bytes[s + 1]) << 8
                            : UInt32(bytes[s]) | UInt32(bytes[s + 1]) << 8 | UInt32(bytes[s + 2]) << 16 | UInt32(bytes[s + 3]) << 24
                        pixel = (masks[0].extract(value), masks[1].extract(value), masks[2].extract(value),
                                 masks[3].mask == 0 ? 255 : masks[3].extract(value))
                    }
                    out[d] = pixel.0; out[d + 1] = pixel.1; out[d + 2] = pixel.2; out[d + 3] = pixel.3
                    d += 4
                }
            }
        }
        let stored = rgba.withUnsafeBytes { PixelConversion.compositeRGBA($0, width: width, height: height) }
        return DecodedPhoto(image: PixelConversion.reduce(stored, toCover: target), format: .bmp,
                            originalSize: ImageSize(width: width, height: height), orientation: 1, taken: nil)
    }

    /// R, G, B, A masks: from the header for BI_BITFIELDS, else the defaults
    /// (5-5-5 for 16-bit, 8-8-8 with the top byte unused for 32-bit).
    private func channelMasks(_ reader: LittleEndianReader, headerSize: Int, bitsPerPixel: Int,
                              compression: Int) throws -> [ChannelMask] {
        switch (compression, bitsPerPixel) {
        case (0, 1), (0, 2), (0, 4), (0, 8), (0, 24): return []
        case (0, 16): return [0x7C00, 0x03E0, 0x001F, 0].map(ChannelMask.init)
        case (0, 32): return [0xFF0000, 0xFF00, 0xFF, 0].map(ChannelMask.init)
        case (3, 16), (3, 32), (6, 16), (6, 32):
            // Masks follow a 40-byte header, or are part of a V2+ header.
            guard let r = reader.u32(54), let g = reader.u32(58), let b = reader.u32(62) else { throw truncated("bit masks") }
            let a = (headerSize >= 56 || compression == 6) ? reader.u32(66) ?? 0 : 0
            return [r, g, b, a].map(ChannelMask.init)
        case (1, _), (2, _): throw ImageError.unsupported(message: "BMP: run-length compressed bitmaps are not supported")
        case (4, _), (5, _): throw ImageError.unsupported(message: "BMP: embedded JPEG or PNG bitmaps are not supported")
        default:
            throw ImageError.corrupt(message: "BMP: \(bitsPerPixel) bits per pixel with compression \(compression)")
        }
    }

    private func readPalette(_ reader: LittleEndianReader, headerSize: Int, bitsPerPixel: Int,
                             count: Int) throws -> [(UInt8, UInt8, UInt8)] {
        guard bitsPerPixel <= 8 else { return [] }
        let entries = count == 0 || count > 1 << bitsPerPixel ? 1 << bitsPerPixel : count
        let entrySize = headerSize == 12 ? 3 : 4
        let start = 14 + headerSize
        return try (0..<entries).map { i in
            let e = start + i * entrySize
            guard let b = reader.u8(e), let g = reader.u8(e + 1), let r = reader.u8(e + 2) else { throw truncated("palette") }
            return (r, g, b)
        }
    }

    private func truncated(_ part: String) -> ImageError {
        .truncated(message: "BMP: the file ends inside the \(part)")
    }

    /// One channel of a BI_BITFIELDS mask, scaled to 8 bits.
    private struct ChannelMask {
        let mask: UInt32
        let shift: UInt32
        let maximum: UInt32

        init(_ mask: UInt32) {
            self.mask = mask
            shift = mask == 0 ? 0 : UInt32(mask.trailingZeroBitCount)
            maximum = mask == 0 ? 1 : mask >> shift
        }

        func extract(_ value: UInt32) -> UInt8 {
            guard mask != 0 else { return 0 }
            return UInt8((UInt64((value & mask) >> shift) * 255 + UInt64(maximum / 2)) / UInt64(maximum))
        }
    }

    private struct LittleEndianReader {
        let bytes: UnsafeRawBufferPointer
        func u8(_ o: Int) -> UInt8? { o >= 0 && o < bytes.count ? bytes[o] : nil }
        func u16(_ o: Int) -> UInt16? {
            guard o >= 0, o + 2 <= bytes.count else { return nil }
            return UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8
        }
        func u32(_ o: Int) -> UInt32? {
            guard let lo = u16(o), let hi = u16(o + 2) else { return nil }
            return UInt32(lo) | UInt32(hi) << 16
        }
        func s32(_ o: Int) -> Int32? { u32(o).map { Int32(bitPattern: $0) } }
    }
}
