/// Bounds-checked reading of a TIFF structure (byte order, IFDs of 12-byte
/// entries): the container of EXIF blocks, TIFF files and most camera raws.
/// Every read of damaged data returns nil; nothing here can trap.
struct TIFFStructure {
    struct Entry {
        let tag: Int
        let type: Int
        let count: Int
        /// Offset of the value field inside the entry (inline values live there).
        let fieldOffset: Int
    }

    let bytes: UnsafeRawBufferPointer
    let bigEndian: Bool

    /// nil unless `bytes` starts with "II*\0" or "MM\0*".
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 8 else { return nil }
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): bigEndian = false
        case (0x4D, 0x4D): bigEndian = true
        default: return nil
        }
        self.bytes = bytes
        guard uint16(at: 2) == 42 else { return nil }
    }

    var firstIFDOffset: Int? { uint32(at: 4).map(Int.init) }

    /// The entries of the IFD at `offset` (at most 1,000: a damaged count
    /// must not turn into a long walk).
    func entries(at offset: Int) -> [Entry] {
        guard let count = uint16(at: offset).map(Int.init) else { return [] }
        var result: [Entry] = []
        for index in 0..<min(count, 1000) {
            let entry = offset + 2 + 12 * index
            guard let tag = uint16(at: entry), let type = uint16(at: entry + 2),
                  let valueCount = uint32(at: entry + 4) else { break }
            result.append(Entry(tag: Int(tag), type: Int(type), count: Int(valueCount), fieldOffset: entry + 8))
        }
        return result
    }

    /// A SHORT or LONG value (the first one).
    func integer(_ entry: Entry) -> Int? {
        switch entry.type {
        case 3: return uint16(at: entry.fieldOffset).map(Int.init)
        case 4, 13: return uint32(at: entry.fieldOffset).map(Int.init)
        default: return nil
        }
    }

    /// Every SHORT or LONG value (e.g. the SubIFDs offsets), at most 64.
    func integers(_ entry: Entry) -> [Int] {
        let size = entry.type == 3 ? 2 : 4
        guard entry.type == 3 || entry.type == 4 || entry.type == 13 else { return [] }
        let count = min(entry.count, 64)
        let start = count * size <= 4 ? entry.fieldOffset : uint32(at: entry.fieldOffset).map(Int.init) ?? -1
        return (0..<count).compactMap { i in
            size == 2 ? uint16(at: start + i * 2).map(Int.init) : uint32(at: start + i * 4).map(Int.init)
        }
    }

    /// An ASCII value without its terminating NUL.
    func ascii(_ entry: Entry) -> String? {
        guard entry.type == 2, entry.count > 0, entry.count <= 4096 else { return nil }
        let start = entry.count <= 4 ? entry.fieldOffset : uint32(at: entry.fieldOffset).map(Int.init) ?? -1
        guard start >= 0, start + entry.count <= bytes.count else { return nil }
        let text = bytes[start..<start + entry.count].prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }

    func uint16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        let a = UInt16(bytes[offset]), b = UInt16(bytes[offset + 1])
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    func uint32(at offset: Int) -> UInt32? {
        guard let first = uint16(at: offset), let second = uint16(at: offset + 2) else { return nil }
        return bigEndian ? UInt32(first) << 16 | UInt32(second) : UInt32(second) << 16 | UInt32(first)
    }
}

extension TIFFStructure {
    /// Whether a TIFF-structured file is a camera raw (DNG, CR2, NEF, ARW,
    /// PEF…) rather than a plain TIFF: a DNG version tag, Canon's CR2 mark, a
    /// colour filter array or linear-raw image in IFD0 or a sub-IFD, a
    /// vendor compression, or an IFD0 that is only a preview of an image
    /// stored elsewhere.
    static func looksLikeCameraRaw(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.count >= 10, bytes[8] == 0x43, bytes[9] == 0x52 { return true }   // "CR" of CR2
        guard let tiff = TIFFStructure(bytes), let first = tiff.firstIFDOffset else { return false }
        let ifd0 = tiff.entries(at: first)
        let rawPhotometrics: Set<Int> = [32803, 34892]   // CFA, LinearRaw
        let standardCompressions: Set<Int> = [1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946, 34712, 34925, 50000, 50001]
        func describesRaw(_ entries: [Entry]) -> Bool {
            entries.contains { entry in
                switch entry.tag {
                case 0xC612: return true                                              // DNGVersion
                case 0x0106: return tiff.integer(entry).map(rawPhotometrics.contains) ?? false   // Photometric
                case 0x0103: return tiff.integer(entry).map { !standardCompressions.contains($0) } ?? false
                default: return false
                }
            }
        }
        if describesRaw(ifd0) { return true }
        if let subIFDs = ifd0.first(where: { $0.tag == 0x014A }),
           tiff.integers(subIFDs).contains(where: { describesRaw(tiff.entries(at: $0)) }) {
            return true
        }
        let previewOnly = ifd0.first { $0.tag == 0x00FE }.flatMap(tiff.integer) == 1   // NewSubfileType: reduced
        return previewOnly && ifd0.contains { $0.tag == 0x014A }
    }
}

extension TIFFStructure {
    /// The end of the furthest strip or tile that IFD0 or its sub-IFDs point
    /// at (offsets plus byte counts), or nil when they name none.
    func imageDataEnd() -> Int? {
        guard let first = firstIFDOffset else { return nil }
        let ifd0 = entries(at: first)
        var ifds = [ifd0]
        if let sub = ifd0.first(where: { $0.tag == 0x014A }) { ifds += integers(sub).prefix(8).map(entries(at:)) }
        var end: Int?
        // (offsets, byte counts): strips, tiles, and the old JPEG interchange pair.
        for (offsetTag, countTag) in [(0x0111, 0x0117), (0x0144, 0x0145), (0x0201, 0x0202)] {
            for ifd in ifds {
                guard let offsets = ifd.first(where: { $0.tag == offsetTag }).map(integers),
                      let counts = ifd.first(where: { $0.tag == countTag }).map(integers),
                      offsets.count == counts.count else { continue }
                for (offset, count) in zip(offsets, counts) { end = max(end ?? 0, offset + count) }
            }
        }
        return end
    }
}
