import XCTest
@testable import Imaging

/// Magic bytes, not names, decide the format; damaged EXIF reads as absent.
final class FormatSnifferTests: XCTestCase {
    private func kind(_ bytes: [UInt8]) -> FormatSniffer.Kind {
        bytes.withUnsafeBytes { FormatSniffer.detect($0) }
    }

    private func ftyp(_ major: String, _ compatible: [String]) -> [UInt8] {
        let payload = Array(major.utf8) + [0, 0, 0, 0] + compatible.flatMap { Array($0.utf8) }
        let size = UInt32(8 + payload.count)
        return [UInt8(size >> 24), UInt8(size >> 16 & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size & 0xFF)]
            + Array("ftyp".utf8) + payload + Array(repeating: 0, count: 16)
    }

    func testISOMediaBrandsSeparateStillsRawsAndVideos() {
        XCTAssertEqual(kind(ftyp("heic", ["mif1", "heic"])), .image(.heif))
        XCTAssertEqual(kind(ftyp("mif1", ["avif", "miaf"])), .image(.avif))
        XCTAssertEqual(kind(ftyp("avis", ["msf1"])), .image(.avif))
        XCTAssertEqual(kind(ftyp("crx ", ["crx ", "isom"])), .image(.raw))   // Canon CR3
        XCTAssertEqual(kind(ftyp("isom", ["isom", "avc1"])), .video(container: "MP4"))
        XCTAssertEqual(kind(ftyp("qt  ", ["qt  "])), .video(container: "QuickTime"))
        XCTAssertEqual(kind(ftyp("3gp5", ["3gp5"])), .video(container: "3GP"))
    }

    func testRawMagicAndTIFFBasedRaws() {
        XCTAssertEqual(kind(Array("FUJIFILMCCD-RAW 0201".utf8)), .image(.raw))
        XCTAssertEqual(kind(Array("\0MRM\0\0\0\0".utf8)), .image(.raw))            // Minolta MRW
        XCTAssertEqual(kind(Array("FOVb\0\0\0\0".utf8)), .image(.raw))             // Sigma X3F
        XCTAssertEqual(kind(Array("II\u{1A}\0\0\0HEAPCCDR".utf8)), .image(.raw))    // Canon CRW
        XCTAssertEqual(kind(Array("IIRO\u{8}\0\0\0".utf8)), .image(.raw))       // Olympus ORF
        XCTAssertEqual(kind([0x49, 0x49, 0x55, 0x00, 0x18, 0, 0, 0]), .image(.raw))   // Panasonic RW2
        // Canon CR2: a TIFF with "CR" at offset 8.
        XCTAssertEqual(kind([0x49, 0x49, 0x2A, 0x00, 0x10, 0, 0, 0, 0x43, 0x52, 0x02, 0x00, 0, 0, 0, 0, 0, 0]), .image(.raw))
        // A TIFF whose IFD0 is a CFA image is a raw (NEF, ARW, PEF do this or via sub-IFDs).
        XCTAssertEqual(kind(tiff(entries: [(0x0106, 3, 32803)])), .image(.raw))
        XCTAssertEqual(kind(tiff(entries: [(0xC612, 1, 1)])), .image(.raw))   // DNGVersion
        XCTAssertEqual(kind(tiff(entries: [(0x0106, 3, 2), (0x0103, 3, 5)])), .image(.tiff))   // RGB, LZW
    }

    func testOtherContainersAndUnknownBytes() {
        XCTAssertEqual(kind(Array("RIFF\u{10}\0\0\0AVI LIST".utf8)), .video(container: "AVI"))
        XCTAssertEqual(kind([0x1A, 0x45, 0xDF, 0xA3, 0x9F]), .video(container: "Matroska/WebM"))
        XCTAssertEqual(kind(Array("GIF87a".utf8) + [1, 0, 1, 0]), .image(.gif))
        XCTAssertEqual(kind(Array("BM".utf8) + [UInt8](repeating: 0, count: 12) + [40, 0, 0, 0]), .image(.bmp))
        XCTAssertEqual(kind(Array("BM but just text".utf8)), .unknown)
        XCTAssertEqual(kind(Array("%PDF-1.7".utf8)), .unknown)
        XCTAssertNil(ImageDecoder.format(of: Array("%PDF-1.7".utf8)))
        XCTAssertEqual(ImageDecoder.format(of: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), .png)
    }

    func testExifDatesAndOrientationFromEitherByteOrder() {
        for bigEndian in [false, true] {
            let block = exifBlock(bigEndian: bigEndian, orientation: 8, date: "2023:12:31 23:59:58", offset: "-05:30")
            let metadata = ExifMetadata.parse(block: block)
            XCTAssertEqual(metadata.orientation, 8)
            XCTAssertEqual(metadata.taken?.description, "2023-12-31T23:59:58-05:30")
            // Without "Exif\0\0" (PNG eXIf, most WebP writers) it reads the same.
            XCTAssertEqual(ExifMetadata.parse(block: Array(block.dropFirst(6))), metadata)
        }
        let blank = exifBlock(bigEndian: false, orientation: 1, date: "    :  :     :  :  ", offset: nil)
        XCTAssertNil(ExifMetadata.parse(block: blank).taken, "a blank date is no date")
        let impossible = exifBlock(bigEndian: false, orientation: 9, date: "2023:13:40 25:00:00", offset: "+99:00")
        XCTAssertEqual(ExifMetadata.parse(block: impossible), ExifMetadata(orientation: 1, taken: nil))
        // Every truncation of a valid block reads without trapping.
        let block = exifBlock(bigEndian: true, orientation: 6, date: "2020:01:02 03:04:05", offset: "+01:00")
        for length in 0..<block.count { _ = ExifMetadata.parse(block: Array(block.prefix(length))) }
        XCTAssertEqual(CaptureDate(exifDateTime: "2020:01:02 03:04:05")?.utcOffsetSeconds, nil)
    }

    func testRawFlipBecomesTheEXIFOrientation() {
        XCTAssertEqual([0, 1, 2, 3, 4, 5, 6, 7].map(RawDecoder.orientation(flip:)), [1, 2, 4, 3, 5, 8, 6, 7])
    }

    // MARK: Hand-built structures

    /// A little-endian TIFF header and one IFD of SHORT/BYTE entries.
    private func tiff(entries: [(tag: UInt16, type: UInt16, value: UInt16)]) -> [UInt8] {
        var bytes: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0, UInt8(entries.count), 0]
        for entry in entries {
            bytes += [UInt8(entry.tag & 0xFF), UInt8(entry.tag >> 8), UInt8(entry.type), 0, 1, 0, 0, 0,
                      UInt8(entry.value & 0xFF), UInt8(entry.value >> 8), 0, 0]
        }
        return bytes + [0, 0, 0, 0]
    }

    /// "Exif\0\0" + TIFF: IFD0 with Orientation and an Exif IFD pointer; the
    /// Exif IFD with DateTimeOriginal and, optionally, OffsetTimeOriginal.
    private func exifBlock(bigEndian: Bool, orientation: UInt16, date: String, offset: String?) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { bigEndian ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: Int) -> [UInt8] { bigEndian ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
        let dateBytes = Array(date.utf8) + [0]
        let offsetBytes: [UInt8] = offset.map { Array($0.utf8) + [0] } ?? []
        let exifCount = offset == nil ? 1 : 2
        let ifd0 = 8, exifIFD = ifd0 + 2 + 24 + 4
        let dateAt = exifIFD + 2 + 12 * exifCount + 4, offsetAt = dateAt + dateBytes.count
        var tiff: [UInt8] = (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(ifd0)
        tiff += u16(2) + u16(0x0112) + u16(3) + u32(1) + u16(Int(orientation)) + u16(0)
        tiff += u16(0x8769) + u16(4) + u32(1) + u32(exifIFD) + u32(0)
        tiff += u16(exifCount) + u16(0x9003) + u16(2) + u32(dateBytes.count) + u32(dateAt)
        if offset != nil { tiff += u16(0x9011) + u16(2) + u32(offsetBytes.count) + u32(offsetAt) }
        tiff += u32(0) + dateBytes + offsetBytes
        return Array("Exif".utf8) + [0, 0] + tiff
    }
}
