import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// Damaged files of every format, decoded in-process: each gives a typed
/// error or a valid image; nothing crashes, hangs or writes to stderr.
final class FormatRobustnessTests: FormatFixtureTestCase {
    override class var fixtureWidth: Int { 256 }   // the smallest that keeps AVIF grid tiles at 64+

    /// A damaged header may claim a larger size: keep the limit small so a
    /// mutation cannot turn the test into a slow 100 MP decode.
    private let decoder = ImageDecoder(maximumPixels: 4_000_000)

    private struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(max(bound, 1)))
        }
    }

    /// Originals to damage: each format's main file plus the variants that
    /// take other code paths (animation, CMYK, grids, raw without preview).
    private func originals() throws -> [(format: String, name: String, bytes: [UInt8])] {
        let all = try fixtures()
        let variants = ["animated.webp", "alpha.png", "interlaced.png", "cmyk.tif", "jpeg.tif", "grid.avif",
                        "10bit.heic", "linear.dng", "animated.gif", "palette.bmp"]
        var files = all.originals().map { ($0.format, $0.file) }
        files.append(("jpeg", all.fixtures[0].reference))
        let stem = all.fixtures[0].name.components(separatedBy: "-")[0]
        for fixture in all.fixtures where variants.contains(where: { fixture.name == stem + "-" + $0 }) {
            if !files.contains(where: { $0.1 == fixture.file }) { files.append((fixture.format, fixture.file)) }
        }
        return try files.map { ($0.0, URL(fileURLWithPath: $0.1).lastPathComponent, try ImagingFixtures.readBytes($0.1)) }
    }

    private enum Outcome: Hashable { case decoded, error(String) }

    private func decodeDamaged(_ data: [UInt8], _ what: String) -> Outcome {
        do {
            let photo = try decoder.decode(data: data, targetSize: ImageSize(square: 64))
            XCTAssertEqual(photo.image.pixels.count, photo.image.width * photo.image.height * 3, what)
            XCTAssertLessThanOrEqual(photo.image.width * photo.image.height, 4_000_000, what)
            return .decoded
        } catch let error as ImageError {
            XCTAssertFalse(error.description.isEmpty, what)
            return .error(Self.kind(error))
        } catch {
            XCTFail("\(what): unexpected error type \(error)")
            return .error("untyped")
        }
    }

    private static func kind(_ error: ImageError) -> String {
        switch error {
        case .emptyFile: return "empty"
        case .notJPEG, .unrecognisedFormat: return "unrecognised"
        case .unsupportedVideo: return "video"
        case .truncated: return "truncated"
        case .corrupt: return "corrupt"
        case .tooLarge: return "tooLarge"
        case .unsupported: return "unsupported"
        case .outOfMemory: return "outOfMemory"
        case .overBudget: return "overBudget"
        case .damaged: return "damaged"
        case .unreadable, .invalidImage, .encodingFailed, .cancelled: return "other"
        }
    }

    func testThousandsOfDamagedFilesGetATypedErrorOrAnImage() throws {
        let files = try originals()
        var generator = Generator(state: 2026)
        var counts: [String: [Outcome: Int]] = [:]
        var total = 0
        let printed = ImagingFixtures.capturingStandardError {
            for (format, name, original) in files {
                for (trial, damaged) in damage(original, format: format, generator: &generator).enumerated() {
                    let outcome = decodeDamaged(damaged, "\(name) damage \(trial)")
                    counts[format, default: [:]][outcome, default: 0] += 1
                    total += 1
                }
            }
            _ = decodeDamaged([], "zero bytes")
        }
        XCTAssertEqual(printed, "", "a decoding library wrote to stderr")
        XCTAssertGreaterThanOrEqual(total, 1000)
        for (format, outcomes) in counts {
            let errors = outcomes.filter { if case .error = $0.key { return true } else { return false } }
            XCTAssertFalse(errors.isEmpty, "\(format): no damage was detected")
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let lines = counts.keys.sorted().map { format in
            let outcomes = counts[format]!.map { key, n -> String in
                if case let .error(kind) = key { return "\(kind) \(n)" }
                return "decoded \(n)"
            }.sorted()
            return "  \(format): \(counts[format]!.values.reduce(0, +)) files: " + outcomes.joined(separator: ", ")
        }
        print("damaged files: \(total) decoded in-process, peak RSS \(usage.ru_maxrss / 1024) MiB\n" + lines.joined(separator: "\n"))
    }

    /// A truncated and a bit-flipped copy of every format fail with a typed
    /// error and print nothing (libtiff, LibRaw and giflib print by default).
    func testCorruptFileOfEachFormatFailsQuietly() throws {
        var failures: [String: Int] = [:]
        let printed = try ImagingFixtures.capturingStandardError {
            for (format, name, original) in try originals() {
                var flipped = original
                for i in stride(from: original.count / 3, to: original.count, by: max(original.count / 40, 1)) { flipped[i] ^= 0x5A }
                for damaged in [Array(original.prefix(original.count * 3 / 5)), flipped] {
                    if case .error = decodeDamaged(damaged, name) { failures[format, default: 0] += 1 }
                }
            }
        }
        XCTAssertEqual(printed, "", "a decoding library wrote to stderr")
        for format in ImageFormat.allCases {
            XCTAssertGreaterThan(failures[format.rawValue] ?? 0, 0, "\(format): damage went unnoticed")
        }
    }

    func testHugeDeclaredDimensionsAreRefusedBeforeDecoding() throws {
        for (format, name, original) in try originals() {
            guard let huge = declaringHugeSize(original, format: format) else { continue }
            XCTAssertThrowsError(try decoder.decode(data: huge), name) { error in
                guard let error = error as? ImageError else { return XCTFail("\(name): \(error)") }
                switch error {
                case .tooLarge, .corrupt, .unsupported, .truncated: break
                default: XCTFail("\(name): \(error)")
                }
                if case .tooLarge = error {} else if ["png", "gif", "bmp", "tiff", "webp"].contains(format) {
                    XCTFail("\(name): the pixel guard did not fire: \(error)")
                }
            }
        }
    }

    // MARK: Damage

    private func damage(_ original: [UInt8], format: String, generator: inout Generator) -> [[UInt8]] {
        var out: [[UInt8]] = []
        let header = min(original.count, 600)
        for _ in 0..<24 { out.append(Array(original.prefix(1 + generator.next(original.count - 1)))) }   // truncated
        for trial in 0..<30 {
            var copy = original
            for _ in 0..<(1 + trial % 4) { copy[generator.next(header)] ^= UInt8(1 << generator.next(8)) }
            out.append(copy)
        }
        for trial in 0..<30 {
            var copy = original
            for _ in 0..<(1 + trial % 8) { copy[header / 2 + generator.next(original.count - header / 2)] = UInt8(generator.next(256)) }
            out.append(copy)
        }
        for _ in 0..<6 {   // a block of garbage somewhere
            var copy = original
            let start = generator.next(original.count)
            for i in start..<min(start + 64, copy.count) { copy[i] = UInt8(generator.next(256)) }
            out.append(copy)
        }
        if let huge = declaringHugeSize(original, format: format) { out.append(huge) }
        // Another format's magic in front of this one's data.
        let magics: [[UInt8]] = [[0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Array("GIF89a".utf8),
                                 Array("II*\0".utf8), Array("RIFF\0\0\0\0WEBP".utf8), Array("BM".utf8)]
        for magic in magics {
            var copy = original
            for (i, byte) in magic.enumerated() where i < copy.count { copy[i] = byte }
            out.append(copy)
        }
        out.append(Array(original.prefix(4)))
        out.append([])
        return out
    }

    /// The file with its header claiming 60000 × 60000 (or as near as the
    /// format allows), checksums kept valid so only the guard can refuse it.
    private func declaringHugeSize(_ original: [UInt8], format: String) -> [UInt8]? {
        var copy = original
        func put32BE(_ v: UInt32, _ at: Int) { for i in 0..<4 { copy[at + i] = UInt8(v >> (24 - 8 * i) & 0xFF) } }
        func put32LE(_ v: UInt32, _ at: Int) { for i in 0..<4 { copy[at + i] = UInt8(v >> (8 * i) & 0xFF) } }
        func put16LE(_ v: UInt16, _ at: Int) { copy[at] = UInt8(v & 0xFF); copy[at + 1] = UInt8(v >> 8) }
        switch format {
        case "png":
            put32BE(60000, 16); put32BE(60000, 20)
            put32BE(crc32(Array(copy[12..<29])), 29)
        case "gif":
            put16LE(65535, 6); put16LE(65535, 8)
        case "bmp":
            put32LE(60000, 18); put32LE(60000, 22)
        case "tiff", "raw":
            guard let tiff = original.withUnsafeBytes({ TIFFStructure($0) }) else { return nil }
            let ifd = Int(tiff.uint32(at: 4) ?? 0)
            let count = Int(tiff.uint16(at: ifd) ?? 0)
            for i in 0..<count {
                let entry = ifd + 2 + 12 * i
                let tag = Int(copy[entry]) | Int(copy[entry + 1]) << 8
                guard tag == 256 || tag == 257 else { continue }
                put16LE(4, entry + 2); put32LE(1, entry + 4); put32LE(60000, entry + 8)   // LONG 60000
            }
        case "webp":
            // VP8X canvas (24-bit width-1, height-1) when present.
            guard let vp8x = find(Array("VP8X".utf8), in: original) else { return nil }
            for (offset, v) in [(vp8x + 12, 16383), (vp8x + 15, 16383)] {
                copy[offset] = UInt8(v & 0xFF); copy[offset + 1] = UInt8(v >> 8 & 0xFF); copy[offset + 2] = 0
            }
        case "heif", "avif":
            guard let ispe = find(Array("ispe".utf8), in: original) else { return nil }
            put32BE(60000, ispe + 8); put32BE(60000, ispe + 12)
        case "jpeg":
            guard let sof = find([0xFF, 0xC0], in: original) else { return nil }
            copy[sof + 5] = 0xEA; copy[sof + 6] = 0x60; copy[sof + 7] = 0xEA; copy[sof + 8] = 0x60
        default:
            return nil
        }
        return copy
    }

    private func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (0...(bytes.count - needle.count)).first { i in needle.indices.allSatisfy { bytes[i + $0] == needle[$0] } }
    }

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
