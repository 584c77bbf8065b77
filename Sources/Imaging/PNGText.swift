internal import CSPNG

/// Reads the text chunks (tEXt, zTXt, iTXt) of a PNG through libspng without
/// decoding its pixels: what a thumbnail cache checks before reusing a file.
public enum PNGText {
    /// Text chunks larger than this are refused, so a damaged length cannot
    /// make libspng buffer a large chunk just to be compared.
    private static let chunkLimit = 1 << 20

    /// Keyword → text of the chunks ahead of the image data (where the
    /// thumbnail standard's writers put them); a repeated keyword keeps its
    /// first value. Throws `.corrupt` / `.truncated` for a damaged PNG.
    public static func read(_ bytes: [UInt8]) throws -> [String: String] {
        try bytes.withUnsafeBytes { buffer in
            guard let context = spng_ctx_new(0) else { throw ImageError.outOfMemory }
            defer { spng_ctx_free(context) }
            try check(spng_set_chunk_limits(context, chunkLimit, chunkLimit * 4))
            try check(spng_set_png_buffer(context, buffer.baseAddress, buffer.count))
            var header = spng_ihdr()
            try check(spng_get_ihdr(context, &header))
            var count: UInt32 = 0
            let status = spng_get_text(context, nil, &count)
            if status == SPNG_ECHUNKAVAIL.rawValue { return [:] }
            try check(status)
            var chunks = [spng_text](repeating: spng_text(), count: Int(count))
            try check(spng_get_text(context, &chunks, &count))
            var result: [String: String] = [:]
            for chunk in chunks.prefix(Int(count)) {
                let keyword = withUnsafeBytes(of: chunk.keyword) { raw in
                    latin1(Array(raw.prefix { $0 != 0 }))
                }
                guard let text = chunk.text else { continue }
                let value = UnsafeRawBufferPointer(start: text, count: chunk.length)
                // iTXt is UTF-8; tEXt and zTXt are Latin-1.
                let decoded = chunk.type == Int32(SPNG_ITXT.rawValue)
                    ? String(decoding: value, as: UTF8.self) : latin1(Array(value))
                if result[keyword] == nil { result[keyword] = decoded }
            }
            return result
        }
    }

    private static func latin1(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func check(_ status: Int32) throws {
        guard status != 0 else { return }
        let message = "PNG: " + String(cString: spng_strerror(status))
        switch status {
        case SPNG_IO_EOF.rawValue, SPNG_EOF.rawValue: throw ImageError.truncated(message: message)
        case SPNG_EMEM.rawValue: throw ImageError.outOfMemory
        default: throw ImageError.corrupt(message: message)
        }
    }
}
