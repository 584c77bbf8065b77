import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// Every kind of bad input comes back as a typed error, never a crash, an
/// exit() or a message on stderr.
final class JPEGErrorTests: XCTestCase {
    private func sample() throws -> [UInt8] {
        try ImagingFixtures.readBytes(try TestEnvironment.data("samples/dog.jpg"))
    }

    private func assertThrows(_ expected: (ImageError) -> Bool, _ body: () throws -> Void, _ what: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("\(what): decoded without an error", file: file, line: line)
        } catch let error as ImageError {
            XCTAssertTrue(expected(error), "\(what): unexpected error \(error)", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty)
        } catch {
            XCTFail("\(what): not an ImageError: \(error)", file: file, line: line)
        }
    }

    /// Fatal errors are `.corrupt`; data libjpeg skipped or filled is `.damaged`.
    private static func isCorruptOrDamaged(_ error: ImageError) -> Bool {
        switch error {
        case .corrupt, .damaged: true
        default: false
        }
    }

    func testTruncatedFileIsAnError() throws {
        let bytes = try sample()
        for fraction in [2, 3, 10] {
            let cut = Array(bytes.prefix(bytes.count * (fraction - 1) / fraction))
            assertThrows({ if case .truncated = $0 { true } else { false } },
                         { _ = try JPEGDecoder().decode(data: cut) }, "cut to \(fraction - 1)/\(fraction)")
            assertThrows({ if case .truncated = $0 { true } else { false } },
                         { _ = try JPEGDecoder().decode(data: cut, targetSize: ImageSize(square: 100)) },
                         "cut to \(fraction - 1)/\(fraction), scaled")
        }
        // Cut inside the header: still reported as truncation.
        assertThrows({ if case .truncated = $0 { true } else { false } },
                     { _ = try JPEGDecoder().decode(data: Array(bytes.prefix(200))) }, "cut in the header")
    }

    func testTruncatedProgressiveFileIsAnError() throws {
        let fixture = try XCTUnwrap(try ImagingFixtures.generate(self)["progressive"])
        let bytes = try ImagingFixtures.readBytes(fixture.file)
        assertThrows({ if case .truncated = $0 { true } else { false } },
                     { _ = try JPEGDecoder().decode(data: Array(bytes.prefix(bytes.count * 2 / 3))) }, "progressive cut")
    }

    /// Offset of the first byte after the SOS segment (the entropy-coded data).
    private func scanDataOffset(_ bytes: [UInt8]) throws -> Int {
        var i = 2
        while i + 4 < bytes.count {
            XCTAssertEqual(bytes[i], 0xFF)
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if marker == 0xDA { return i + 2 + length }
            i += 2 + length
        }
        throw XCTSkip("no SOS marker found")
    }

    func testCorruptEntropyDataIsAnError() throws {
        let bytes = try sample()
        let start = try scanDataOffset(bytes)
        // An end-of-image marker in the middle of the scan.
        var early = bytes
        early[start + 1000] = 0xFF; early[start + 1001] = 0xD9
        assertThrows(Self.isCorruptOrDamaged,
                     { _ = try JPEGDecoder().decode(data: early) }, "EOI inside the scan")
        // Inverted bits across a stretch of the scan: invalid Huffman codes and stray markers.
        for offset in [300, 5000, 20000] where start + offset + 256 < bytes.count {
            var flipped = bytes
            for i in (start + offset)..<(start + offset + 256) { flipped[i] ^= 0xFF }
            assertThrows(Self.isCorruptOrDamaged,
                         { _ = try JPEGDecoder().decode(data: flipped) }, "bits inverted at scan offset \(offset)")
        }
        // An undefined marker (0xFF 0x01) inside the scan.
        var badMarker = bytes
        badMarker[start + 500] = 0xFF; badMarker[start + 501] = 0x01
        assertThrows(Self.isCorruptOrDamaged,
                     { _ = try JPEGDecoder().decode(data: badMarker) }, "invalid marker inside the scan")
    }

    func testDamagedButReadableDataCanBeAccepted() throws {
        let bytes = try sample()
        let start = try scanDataOffset(bytes)
        var early = bytes
        early[start + 1000] = 0xFF; early[start + 1001] = 0xD9
        let lenient = JPEGDecoder(rejectsCorruptData: false)
        XCTAssertNoThrow(try lenient.decode(data: early))
    }

    /// Padding after the last scan (some cameras write it) leaves the image
    /// complete and is accepted; garbage between header markers is not.
    func testPaddingBeforeEndOfImageIsAccepted() throws {
        var image = RGBImage(width: 40, height: 24)
        for y in 0..<24 { for x in 0..<40 { image[x, y] = (UInt8(x * 6), UInt8(y * 10), 77) } }
        let jpeg = try JPEGEncoder.encode(image)
        XCTAssertEqual(Array(jpeg.suffix(2)), [0xFF, 0xD9])
        let padded = Array(jpeg.dropLast(2)) + [UInt8](repeating: 0, count: 16) + [0xFF, 0xD9]
        XCTAssertEqual(try JPEGDecoder().decode(data: padded).image, try JPEGDecoder().decode(data: jpeg).image)

        // The same padding between SOI's first segment and the next marker.
        let firstLength = Int(jpeg[4]) << 8 | Int(jpeg[5])
        let cut = 4 + firstLength
        let garbage = Array(jpeg[..<cut]) + [1, 2, 3, 4] + Array(jpeg[cut...])
        assertThrows(Self.isCorruptOrDamaged,
                     { _ = try JPEGDecoder().decode(data: garbage) }, "garbage between header markers")
    }

    func testCorruptHeaderIsAnError() throws {
        let bytes = try sample()
        // Break the first marker after SOI into an unknown, zero-length one.
        var broken = bytes
        broken[3] = 0x02; broken[4] = 0x00; broken[5] = 0x00
        assertThrows({ if case .corrupt = $0 { true } else { false } },
                     { _ = try JPEGDecoder().decode(data: broken) }, "bad marker in the header")
        // SOI followed by EOI: a JPEG with no image.
        assertThrows({ if case .corrupt = $0 { true } else { false } },
                     { _ = try JPEGDecoder().decode(data: [0xFF, 0xD8, 0xFF, 0xD9]) }, "no image")
    }

    func testEmptyAndNonJPEGFiles() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let empty = directory + "/empty.jpg", text = directory + "/x.jpg", png = directory + "/image.jpg"
        try ImagingFixtures.write([], to: empty)
        try ImagingFixtures.write(Array("this is not a photo\n".utf8), to: text)
        try ImagingFixtures.write(try PNGEncoder.encode(RGBImage(width: 2, height: 2)), to: png)
        assertThrows({ $0 == .emptyFile }, { _ = try JPEGDecoder().decode(path: empty) }, "empty file")
        assertThrows({ $0 == .notJPEG }, { _ = try JPEGDecoder().decode(path: text) }, "text file named x.jpg")
        assertThrows({ $0 == .notJPEG }, { _ = try JPEGDecoder().decode(path: png) }, "PNG named .jpg")
        assertThrows({ $0 == .emptyFile }, { _ = try JPEGDecoder().decode(data: []) }, "empty buffer")
    }

    func testDirectoryAndMissingPathsAreUnreadable() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        assertThrows({ if case let .unreadable(path, reason) = $0 { path == directory && reason.contains("directory") } else { false } },
                     { _ = try JPEGDecoder().decode(path: directory) }, "a directory")
        let missing = directory + "/missing.jpg"
        assertThrows({ if case let .unreadable(path, reason) = $0 { path == missing && reason.contains("No such file") } else { false } },
                     { _ = try JPEGDecoder().decode(path: missing) }, "a missing file")

    }

    func testFileWithoutReadPermissionIsUnreadable() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let locked = directory + "/locked.jpg"
        try ImagingFixtures.write(try sample(), to: locked)
        chmod(locked, 0)
        defer { chmod(locked, 0o600) }
        // root reads files whatever their mode; the check is meaningless there.
        let probe = open(locked, O_RDONLY)
        if probe >= 0 { close(probe) }
        guard probe < 0 else { throw XCTSkip("running with permission to read mode-000 files (root)") }
        assertThrows({ if case let .unreadable(_, reason) = $0 { reason.contains("Permission denied") } else { false } },
                     { _ = try JPEGDecoder().decode(path: locked) }, "mode 000")
    }

    /// A header claiming 60000×60000 is refused from the header alone, before
    /// libjpeg allocates or decodes anything.
    func testDecompressionBombIsRefusedBeforeDecoding() throws {
        var bytes = try sample()
        var i = 2
        var patched = false
        while i + 9 < bytes.count {
            let marker = bytes[i + 1], length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if marker == 0xC0 || marker == 0xC2 {   // SOF0 / SOF2: precision, height, width
                bytes[i + 5] = 0xEA; bytes[i + 6] = 0x60   // 60000
                bytes[i + 7] = 0xEA; bytes[i + 8] = 0x60
                patched = true
                break
            }
            i += 2 + length
        }
        XCTAssertTrue(patched, "no SOF marker in the sample")
        let started = Date()
        assertThrows({ $0 == .tooLarge(width: 60000, height: 60000, limit: JPEGDecoder.defaultMaximumPixels) },
                     { _ = try JPEGDecoder().decode(data: bytes, targetSize: ImageSize(square: 224)) }, "60000×60000")
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "the guard must act before decoding")

        // The header alone still reads: that is how the guard knows.
        let header = try JPEGDecoder().readHeader(data: bytes)
        XCTAssertEqual(header.uprightSize, ImageSize(width: 60000, height: 60000))

        // The limit is configurable.
        let small = JPEGDecoder(maximumPixels: 1000)
        XCTAssertThrowsError(try small.decode(data: try sample()))
    }

    func testDecoderNeverWritesToStandardError() throws {
        let bytes = try sample()
        let start = try scanDataOffset(bytes)
        var early = bytes
        early[start + 1000] = 0xFF; early[start + 1001] = 0xD9
        let written = ImagingFixtures.capturingStandardError {
            _ = try? JPEGDecoder().decode(data: Array(bytes.prefix(bytes.count / 2)))
            _ = try? JPEGDecoder().decode(data: early)
            _ = try? JPEGDecoder(rejectsCorruptData: false).decode(data: early)
            _ = try? JPEGDecoder().decode(data: [0xFF, 0xD8, 0xFF, 0xD9])
            _ = try? JPEGDecoder().decode(data: [0xFF, 0xD8, 0xFF, 0x02, 0x00, 0x00])
        }
        XCTAssertEqual(written, "", "libjpeg printed to stderr")
    }

    func testErrorDescriptionsNameTheProblem() {
        XCTAssertTrue(ImageError.tooLarge(width: 60000, height: 60000, limit: 100_000_000).description.contains("60000×60000"))
        XCTAssertTrue(ImageError.unreadable(path: "/a/b.jpg", reason: "Permission denied").description.contains("/a/b.jpg"))
        XCTAssertTrue(ImageError.notJPEG.description.contains("not a JPEG"))
        XCTAssertEqual(ImageError.truncated(message: "x").localizedDescription, ImageError.truncated(message: "x").description)
    }
}
