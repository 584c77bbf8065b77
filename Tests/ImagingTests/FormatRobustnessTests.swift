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
        var generator = DamagedImages.Generator(seed: 2026)
        var counts: [String: [Outcome: Int]] = [:]
        var total = 0
        let printed = ImagingFixtures.capturingStandardError {
            for (format, name, original) in files {
                for (trial, damaged) in DamagedImages.variants(of: original, format: format, counts: Self.counts, generator: &generator).enumerated() {
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
            guard let huge = DamagedImages.declaringHugeSize(original, format: format) else { continue }
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

    /// Each original gives 95 or so damaged copies.
    static let counts = DamagedImages.Counts(truncated: 24, headerFlips: 30, dataOverwrites: 30, garbageBlocks: 6, wrongMagics: 6)
}
