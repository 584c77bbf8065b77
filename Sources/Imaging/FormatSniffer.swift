/// Tells formats apart by their magic bytes, never by the file name: a PNG
/// named .jpg is a PNG, and an MP4 is recognised as a video.
enum FormatSniffer {
    enum Kind: Equatable {
        case image(ImageFormat)
        case video(container: String)
        case unknown
    }

    static func detect(_ bytes: UnsafeRawBufferPointer) -> Kind {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && magic.indices.allSatisfy { bytes[offset + $0] == magic[$0] }
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }

        if starts([0xFF, 0xD8, 0xFF]) { return .image(.jpeg) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .image(.png) }
        if ascii("GIF87a") || ascii("GIF89a") { return .image(.gif) }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return .image(.webp) }
        if ascii("RIFF") && ascii("AVI ", at: 8) { return .video(container: "AVI") }
        // Raws with containers of their own: Fuji RAF, Minolta MRW, Sigma X3F,
        // Canon CRW, Phase One IIQ.
        if ascii("FUJIFILMCCD-RAW") || ascii("\0MRM") || ascii("FOVb") || ascii("HEAPCCDR", at: 6) || ascii("IIII") {
            return .image(.raw)
        }
        // Olympus ORF and Panasonic RW2 alter the TIFF magic number.
        if ascii("IIRO") || ascii("IIRS") || ascii("MMOR") || starts([0x49, 0x49, 0x55, 0x00]) { return .image(.raw) }
        if ascii("II*\0") || ascii("MM\0*") || ascii("II+\0") || ascii("MM\0+") {
            return .image(TIFFStructure.looksLikeCameraRaw(bytes) ? .raw : .tiff)
        }
        if ascii("ftyp", at: 4) { return isoMediaKind(bytes) }
        if ascii("BM") && bytes.count >= 18 && [12, 40, 52, 56, 64, 108, 124].contains(Int(littleEndian32(bytes, 14))) {
            return .image(.bmp)
        }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) { return .video(container: "Matroska/WebM") }
        if starts([0x00, 0x00, 0x01, 0xBA]) || starts([0x00, 0x00, 0x01, 0xB3]) { return .video(container: "MPEG") }
        if bytes.count > 376 && bytes[0] == 0x47 && bytes[188] == 0x47 && bytes[376] == 0x47 {
            return .video(container: "MPEG-TS")
        }
        if starts([0x30, 0x26, 0xB2, 0x75, 0x8E, 0x66, 0xCF, 0x11]) { return .video(container: "ASF/WMV") }
        if ascii("FLV\u{1}") { return .video(container: "FLV") }
        // QuickTime files older than the ftyp box start with a movie atom.
        if ascii("moov", at: 4) || ascii("mdat", at: 4) || ascii("wide", at: 4) { return .video(container: "QuickTime") }
        return .unknown
    }

    /// ISO base media files (ftyp box): HEIF and AVIF stills, Canon CR3, or a video.
    private static func isoMediaKind(_ bytes: UnsafeRawBufferPointer) -> Kind {
        let boxSize = min(Int(bigEndian32(bytes, 0)), bytes.count, 256)
        var brands: [String] = []
        var offset = 8
        while offset + 4 <= boxSize {
            if offset != 12 { brands.append(String(decoding: bytes[offset..<offset + 4], as: UTF8.self)) }   // 12: minor version
            offset += 4
        }
        if brands.contains("crx ") { return .image(.raw) }
        if brands.contains(where: { ["avif", "avis"].contains($0) }) { return .image(.avif) }
        let heifBrands: Set<String> = ["mif1", "msf1", "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "miaf"]
        if brands.contains(where: heifBrands.contains) { return .image(.heif) }
        let major = brands.first ?? ""
        if major == "qt  " { return .video(container: "QuickTime") }
        if major.hasPrefix("3g") { return .video(container: "3GP") }
        return .video(container: "MP4")
    }

    static func bigEndian32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        guard offset + 4 <= bytes.count else { return 0 }
        return (offset..<offset + 4).reduce(0) { $0 << 8 | UInt32(bytes[$1]) }
    }

    static func littleEndian32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        guard offset + 4 <= bytes.count else { return 0 }
        return (offset..<offset + 4).reversed().reduce(0) { $0 << 8 | UInt32(bytes[$1]) }
    }
}
