import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// Every format and variant decodes, through the one entry point, to the
/// same upright picture as the JPEG it was made from.
final class FormatDecodingTests: FormatFixtureTestCase {
    func testEveryFormatDecodesToTheSamePictureAsItsJPEG() throws {
        let all = try fixtures()
        let decoder = ImageDecoder()
        var report: [String] = []
        var formats = Set<String>()
        for fixture in all.fixtures {
            let referencePhoto = try decoder.decode(path: fixture.reference)
            formats.insert(referencePhoto.format.rawValue)
            let reference = referencePhoto.image
            let decoded: DecodedPhoto
            do { decoded = try decoder.decode(path: fixture.file) } catch {
                XCTFail("\(fixture.name): \(error)")
                continue
            }
            formats.insert(fixture.format)
            XCTAssertEqual(decoded.format.rawValue, fixture.format, fixture.name)
            if let orientation = fixture.orientation {
                XCTAssertEqual(decoded.orientation, orientation, "\(fixture.name): orientation applied")
            }
            guard decoded.image.width == reference.width, decoded.image.height == reference.height else {
                XCTFail("\(fixture.name): decoded \(decoded.image.width)×\(decoded.image.height), " +
                        "reference \(reference.width)×\(reference.height) (not upright?)")
                continue
            }
            let expected = PictureComparison.expected(fixture, reference: reference)
            let difference = ImagingFixtures.meanAbsoluteDifference(decoded.image.pixels, expected.pixels)
            XCTAssertLessThanOrEqual(difference, fixture.tolerance, "\(fixture.name): mean absolute difference")
            report.append("\(fixture.name) \(String(format: "%.2f", difference))")
        }
        XCTAssertEqual(formats, Set(ImageFormat.allCases.map(\.rawValue)), "a fixture for every format")
        print("format fixtures, mean absolute difference to the reference JPEG: " + report.joined(separator: ", "))
    }

    /// The daemon decodes on several threads at once: every library is used
    /// through per-call state, so concurrent decodes give the serial result.
    func testConcurrentDecodesMatchSerialOnes() throws {
        let files = try fixtures().fixtures.map(\.file)
        let target = ImageSize(square: 64)
        let serial = try files.map { try ImageDecoder().decode(path: $0, targetSize: target).image }
        // Four threads each decode every file, starting at different places.
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for step in files.indices {
                let index = (step + worker * files.count / 4) % files.count
                let image = try? ImageDecoder().decode(path: files[index], targetSize: target).image
                XCTAssertEqual(image, serial[index], files[index])
            }
        }
    }

    func testTargetSizeIsCoveredAndApproached() throws {
        let all = try fixtures()
        let target = ImageSize(width: 112, height: 84)
        for fixture in all.fixtures {
            let decoded = try ImageDecoder().decode(path: fixture.file, targetSize: target)
            let image = decoded.image
            XCTAssertGreaterThanOrEqual(image.width, target.width, fixture.name)
            XCTAssertGreaterThanOrEqual(image.height, target.height, fixture.name)
            XCTAssertTrue(image.width < 2 * target.width || image.height < 2 * target.height,
                          "\(fixture.name): \(image.width)×\(image.height) is far above \(target)")
            // Still the same picture, at the smaller size.
            let reference = try ImageDecoder().decode(path: fixture.reference).image
            let small = resize(reference, width: image.width, height: image.height, filter: .area)
            let expected = PictureComparison.expected(fixture, reference: small)
            XCTAssertLessThanOrEqual(ImagingFixtures.meanAbsoluteDifference(image.pixels, expected.pixels),
                                     fixture.tolerance + 6, "\(fixture.name) at \(target)")
        }
    }

    /// A phone's HEIC carries a small thumbnail; it is decoded instead of
    /// the full image whenever it covers the target.
    func testHEIFThumbnailIsUsedWhenItCoversTheTarget() throws {
        let fixture = try XCTUnwrap(try fixtures().fixtures.first { $0.name.hasSuffix("-thumb.heic") })
        let full = try ImageDecoder().decode(path: fixture.file).image
        let thumbnailSide = Self.fixtureWidth * 4 / 5   // heif-enc -t in the fixture script
        let small = ImageSize(width: full.width / 3, height: full.height / 3)
        let fromThumbnail = try ImageDecoder().decode(path: fixture.file, targetSize: small).image
        // The thumbnail (256 wide) halves to 128; the full image would give full.width / 2.
        XCTAssertEqual(fromThumbnail.width, thumbnailSide / 2, "\(fromThumbnail.width)×\(fromThumbnail.height)")
        let reference = resize(full, width: fromThumbnail.width, height: fromThumbnail.height, filter: .area)
        XCTAssertLessThanOrEqual(ImagingFixtures.meanAbsoluteDifference(fromThumbnail.pixels, reference.pixels), 6)
        // A target the thumbnail cannot cover decodes the full image.
        let large = ImageSize(width: thumbnailSide + 1, height: 10)
        XCTAssertEqual(try ImageDecoder().decode(path: fixture.file, targetSize: large).image.width, full.width)
    }

    func testFormatComesFromMagicBytesNotTheName() throws {
        let all = try fixtures()
        let named = try XCTUnwrap(all.fixtures.first { $0.name.hasSuffix("png-named.jpg") })
        XCTAssertEqual(try ImageDecoder().decode(path: named.file).format, .png)
        // JPEGDecoder alone still refuses it, as before.
        XCTAssertThrowsError(try JPEGDecoder().decode(path: named.file)) { error in
            XCTAssertEqual(error as? ImageError, .notJPEG)
        }
    }

    func testVideosAreRecognisedAsVideos() throws {
        let all = try fixtures()
        XCTAssertFalse(all.videos.isEmpty)
        for video in all.videos {
            XCTAssertThrowsError(try ImageDecoder().decode(path: video.file), video.file) { error in
                XCTAssertEqual(error as? ImageError, .unsupportedVideo(container: video.container), video.file)
                XCTAssertTrue("\(error)".hasPrefix("unsupported: video"), "\(error)")
            }
        }
    }

    func testUnknownBytesNameTheirStart() {
        XCTAssertThrowsError(try ImageDecoder().decode(data: Array("<!DOCTYPE html>".utf8))) { error in
            XCTAssertEqual(error as? ImageError, .unrecognisedFormat(leadingBytes: Array("<!DOCTYP".utf8)))
            let text = "\(error)"
            XCTAssertTrue(text.contains("not an image photoq can read") && text.contains("3C 21 44 4F"), text)
            XCTAssertTrue(text.contains("\"<!DOCTYP\""), text)
        }
        XCTAssertThrowsError(try ImageDecoder().decode(data: [])) { XCTAssertEqual($0 as? ImageError, .emptyFile) }
    }

    func testCaptureDatesAreReadFromEveryEXIFContainer() throws {
        let all = try fixtures()
        for suffix in ["jpg", "png", "webp", "tif", "heic", "dng"] {
            let path = all.directory + "/" + (all.fixtures[0].name.components(separatedBy: "-").first ?? "") + "-dated." + suffix
            let decoded = try ImageDecoder().decode(path: path)
            let taken = try XCTUnwrap(decoded.taken, "\(suffix): no capture date")
            XCTAssertEqual(taken.description, "2024-06-01T12:34:56+02:00", suffix)
            XCTAssertEqual(taken.fraction, 0.25, accuracy: 1e-9, suffix)
            // 10:34:56.25 UTC.
            XCTAssertEqual(taken.date()?.timeIntervalSince1970 ?? 0, 1_717_238_096.25, accuracy: 1e-3, suffix)
        }
    }

    func testExtensionListCoversEveryFormat() {
        for ext in ["jpg", "JPEG", "png", "webp", "heic", "heif", "avif", "tif", "tiff", "gif", "bmp",
                    "dng", "cr2", "cr3", "nef", "arw", "raf", "orf", "rw2"] {
            XCTAssertTrue(ImageFormat.hasImageExtension("photo." + ext), ext)
        }
        for name in ["clip.mp4", "clip.mov", "notes.txt", "README"] {
            XCTAssertFalse(ImageFormat.hasImageExtension(name), name)
        }
    }
}
