internal import CSPNG
import Glibc

/// A minimal PNG writer: 8-bit RGB, no interlacing, filter 0, with the image
/// data in stored (uncompressed) deflate blocks, so it needs no zlib. Files
/// are about as large as the raw pixels; fine for heat maps and debugging.
/// `encode(_:text:)` goes through libspng instead, for files that are kept
/// (thumbnails): compressed, with text chunks.
public enum PNGEncoder {
    public static func encode(_ image: RGBImage) throws -> [UInt8] {
        guard image.width > 0, image.height > 0, image.width <= Int(Int32.max), image.height <= Int(Int32.max),
              image.pixels.count == image.width * image.height * 3 else {
            throw ImageError.invalidImage(message: "cannot write \(image.width)×\(image.height) with \(image.pixels.count) bytes as PNG")
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(image.width))
        header.appendBigEndian(UInt32(image.height))
        header += [8, 2, 0, 0, 0]   // bit depth 8, colour type RGB, deflate, filter 0, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStored(scanlines(image)), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// A deflate-compressed PNG (libspng with zlib, fast settings) carrying `text` as tEXt
    /// chunks ahead of the image data, where readers that stop at the first
    /// IDAT (thumbnail caches) find them. Keywords are 1–79 printable Latin-1
    /// characters and values Latin-1 text, as PNG requires; anything else is
    /// refused with `.encodingFailed`.
    public static func encode(_ image: RGBImage, text: [(keyword: String, value: String)]) throws -> [UInt8] {
        guard image.width > 0, image.height > 0, image.width <= Int(Int32.max), image.height <= Int(Int32.max),
              image.pixels.count == image.width * image.height * 3 else {
            throw ImageError.invalidImage(message: "cannot write \(image.width)×\(image.height) with \(image.pixels.count) bytes as PNG")
        }
        guard let context = spng_ctx_new(Int32(SPNG_CTX_ENCODER.rawValue)) else { throw ImageError.outOfMemory }
        defer { spng_ctx_free(context) }
        try checkEncoding(spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1))
        // zlib level 1 and the Sub filter only: about a quarter of the time of
        // libspng's defaults (level 6, every filter tried) for files ~14% larger,
        // which matters when the daemon writes one per photo it indexes.
        try checkEncoding(spng_set_option(context, SPNG_IMG_COMPRESSION_LEVEL, 1))
        try checkEncoding(spng_set_option(context, SPNG_FILTER_CHOICE, Int32(SPNG_FILTER_CHOICE_SUB.rawValue)))
        var header = spng_ihdr(width: UInt32(image.width), height: UInt32(image.height), bit_depth: 8,
                               color_type: UInt8(SPNG_COLOR_TYPE_TRUECOLOR.rawValue),
                               compression_method: 0, filter_method: 0, interlace_method: 0)
        try checkEncoding(spng_set_ihdr(context, &header))
        var textStorage: [UnsafeMutablePointer<CChar>] = []
        defer { textStorage.forEach { free($0) } }   // after the encode: libspng keeps the pointers, not copies
        if !text.isEmpty { try setText(text, on: context, storage: &textStorage) }
        try checkEncoding(image.pixels.withUnsafeBytes {
            spng_encode_image(context, $0.baseAddress, $0.count, Int32(SPNG_FMT_PNG.rawValue),
                              Int32(SPNG_ENCODE_FINALIZE.rawValue))
        })
        var length = 0, status: Int32 = 0
        guard let buffer = spng_get_png_buffer(context, &length, &status) else {
            try checkEncoding(status)
            throw ImageError.encodingFailed(message: "PNG: libspng returned no data")
        }
        defer { free(buffer) }   // spng_get_png_buffer hands over a malloc'd buffer
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// libspng copies the chunk list but not the text it points to, which
    /// lives in `storage` until the image is encoded.
    private static func setText(_ text: [(keyword: String, value: String)], on context: OpaquePointer,
                                storage: inout [UnsafeMutablePointer<CChar>]) throws {
        var chunks: [spng_text] = []
        for (keyword, value) in text {
            let keywordBytes = try latin1(keyword), valueBytes = try latin1(value)
            guard (1...79).contains(keywordBytes.count) else {
                throw ImageError.encodingFailed(message: "PNG text keyword \"\(keyword)\" must be 1 to 79 characters")
            }
            var chunk = spng_text()
            withUnsafeMutableBytes(of: &chunk.keyword) { $0.copyBytes(from: keywordBytes) }   // NUL-padded: zeroed by init
            chunk.type = Int32(SPNG_TEXT.rawValue)
            guard let copy = malloc(valueBytes.count + 1)?.assumingMemoryBound(to: CChar.self) else {
                throw ImageError.outOfMemory
            }
            for (index, byte) in valueBytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
            copy[valueBytes.count] = 0
            storage.append(copy)
            chunk.text = copy
            chunk.length = valueBytes.count
            chunks.append(chunk)
        }
        try checkEncoding(spng_set_text(context, &chunks, UInt32(chunks.count)))
    }

    /// PNG text is Latin-1 and holds no NUL.
    private static func latin1(_ string: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        for scalar in string.unicodeScalars {
            guard scalar.value > 0, scalar.value < 256 else {
                throw ImageError.encodingFailed(message: "PNG text \"\(string)\" is not Latin-1")
            }
            bytes.append(UInt8(scalar.value))
        }
        return bytes
    }

    private static func checkEncoding(_ status: Int32) throws {
        guard status != 0 else { return }
        if status == SPNG_EMEM.rawValue { throw ImageError.outOfMemory }
        throw ImageError.encodingFailed(message: "PNG: " + String(cString: spng_strerror(status)))
    }

    /// Each row prefixed with filter type 0 (none).
    private static func scanlines(_ image: RGBImage) -> [UInt8] {
        let stride = image.width * 3
        var raw = [UInt8]()
        raw.reserveCapacity((stride + 1) * image.height)
        for y in 0..<image.height {
            raw.append(0)
            raw += image.pixels[(y * stride)..<((y + 1) * stride)]
        }
        return raw
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]   // deflate, 32 KiB window, no preset dictionary
        let maximumBlock = 65_535
        var offset = 0
        repeat {
            let length = min(maximumBlock, data.count - offset)
            let isLast = offset + length == data.count
            out.append(isLast ? 1 : 0)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        out.appendBigEndian(adler32(data))
        return out
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png.appendBigEndian(UInt32(data.count))
        png += typeBytes
        png += data
        png.appendBigEndian(crc32(typeBytes + data))
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        // 5552 bytes is the most that cannot overflow 32 bits before the modulo.
        var index = 0
        while index < data.count {
            let end = min(index + 5552, data.count)
            for i in index..<end { a += UInt32(data[i]); b += a }
            a %= 65_521; b %= 65_521
            index = end
        }
        return b << 16 | a
    }

    private static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)])
    }
}
