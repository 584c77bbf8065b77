/// Damaged copies of image files, shared by the decoder's robustness tests
/// and the daemon's: truncations, flipped header bits, overwritten data,
/// garbage blocks, a header declaring a huge size, another format's magic,
/// and empty files. Seeded, so a failure can be reproduced.
public enum DamagedImages {
    /// How many copies of each kind `variants` makes.
    public struct Counts: Sendable {
        public var truncated, headerFlips, dataOverwrites, garbageBlocks, wrongMagics: Int
        public init(truncated: Int, headerFlips: Int, dataOverwrites: Int, garbageBlocks: Int, wrongMagics: Int) {
            self.truncated = truncated
            self.headerFlips = headerFlips
            self.dataOverwrites = dataOverwrites
            self.garbageBlocks = garbageBlocks
            self.wrongMagics = wrongMagics
        }
    }

    /// A small linear congruential generator; `next(n)` is in 0..<n.
    public struct Generator: Sendable {
        public var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
    }

    static let magics: [[UInt8]] = [[0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Array("GIF89a".utf8),
                                    Array("II*\0".utf8), Array("RIFF\0\0\0\0WEBP".utf8), Array("BM".utf8)]

    /// `format` is the decoder's name for it ("jpeg", "png", "webp", "heif",
    /// "avif", "tiff", "raw", "gif", "bmp"); it only matters for the huge-size copy.
    public static func variants(of original: [UInt8], format: String, counts: Counts,
                                generator: inout Generator) -> [[UInt8]] {
        guard !original.isEmpty else { return [[]] }
        var out: [[UInt8]] = []
        let header = min(original.count, 600)
        for _ in 0..<counts.truncated { out.append(Array(original.prefix(1 + generator.next(original.count - 1)))) }
        for trial in 0..<counts.headerFlips {
            var copy = original
            for _ in 0..<(1 + trial % 4) { copy[generator.next(header)] ^= UInt8(1 << generator.next(8)) }
            out.append(copy)
        }
        for trial in 0..<counts.dataOverwrites {
            var copy = original
            for _ in 0..<(1 + trial % 8) { copy[header / 2 + generator.next(original.count - header / 2)] = UInt8(generator.next(256)) }
            out.append(copy)
        }
        for _ in 0..<counts.garbageBlocks {
            var copy = original
            let start = generator.next(original.count)
            for i in start..<min(start + 64, copy.count) { copy[i] = UInt8(generator.next(256)) }
            out.append(copy)
        }
        if let huge = declaringHugeSize(original, format: format) { out.append(huge) }
        // Another format's magic in front of this one's data.
        let firstMagic = counts.wrongMagics >= magics.count ? 0 : generator.next(magics.count)
        for k in 0..<min(counts.wrongMagics, magics.count) {
            var copy = original
            for (i, byte) in magics[(firstMagic + k) % magics.count].enumerated() where i < copy.count { copy[i] = byte }
            out.append(copy)
        }
        out.append(Array(original.prefix(4)))
        out.append([])
        return out
    }

    /// The file with its header claiming 60000 × 60000 (or as near as the
    /// format allows), checksums kept valid so only the decoder's size guard
    /// can refuse it; nil when this format's header was not found.
    public static func declaringHugeSize(_ original: [UInt8], format: String) -> [UInt8]? {
        var copy = original
        func put32BE(_ v: UInt32, _ at: Int) { for i in 0..<4 { copy[at + i] = UInt8(v >> (24 - 8 * i) & 0xFF) } }
        func put32LE(_ v: UInt32, _ at: Int) { for i in 0..<4 { copy[at + i] = UInt8(v >> (8 * i) & 0xFF) } }
        func put16LE(_ v: UInt16, _ at: Int) { copy[at] = UInt8(v & 0xFF); copy[at + 1] = UInt8(v >> 8) }
        func le(_ at: Int, _ width: Int) -> Int? {
            guard at >= 0, at + width <= original.count else { return nil }
            return (0..<width).reduce(0) { $0 | Int(original[at + $1]) << (8 * $1) }
        }
        guard original.count >= 32 else { return nil }
        switch format {
        case "png":
            put32BE(60000, 16); put32BE(60000, 20)
            put32BE(crc32(Array(copy[12..<29])), 29)
        case "gif":
            put16LE(65535, 6); put16LE(65535, 8)
        case "bmp":
            put32LE(60000, 18); put32LE(60000, 22)
        case "tiff", "raw":
            // Little-endian TIFF (the fixtures' byte order): width and height tags of the first IFD.
            guard original.starts(with: Array("II".utf8)), let ifd = le(4, 4), let count = le(ifd, 2) else { return nil }
            for i in 0..<count {
                let entry = ifd + 2 + 12 * i
                guard let tag = le(entry, 2), entry + 12 <= copy.count else { break }
                guard tag == 256 || tag == 257 else { continue }
                put16LE(4, entry + 2); put32LE(1, entry + 4); put32LE(60000, entry + 8)   // LONG 60000
            }
        case "webp":
            // VP8X canvas (24-bit width-1, height-1) when present.
            guard let vp8x = find(Array("VP8X".utf8), in: original), vp8x + 18 <= copy.count else { return nil }
            for (offset, v) in [(vp8x + 12, 16383), (vp8x + 15, 16383)] {
                copy[offset] = UInt8(v & 0xFF); copy[offset + 1] = UInt8(v >> 8 & 0xFF); copy[offset + 2] = 0
            }
        case "heif", "avif":
            guard let ispe = find(Array("ispe".utf8), in: original), ispe + 16 <= copy.count else { return nil }
            put32BE(60000, ispe + 8); put32BE(60000, ispe + 12)
        case "jpeg":
            guard let sof = find([0xFF, 0xC0], in: original), sof + 9 <= copy.count else { return nil }
            copy[sof + 5] = 0xEA; copy[sof + 6] = 0x60; copy[sof + 7] = 0xEA; copy[sof + 8] = 0x60
        default:
            return nil
        }
        return copy
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { i in needle.indices.allSatisfy { bytes[i + $0] == needle[$0] } }
    }

    /// PNG's CRC-32.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
