import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// EXIF orientation: the tag is found in either byte order and the pixels
/// come out upright.
final class OrientationTests: XCTestCase {
    /// Left half red, right half blue, taller than wide once upright.
    private func upright() -> RGBImage {
        var image = RGBImage(width: 32, height: 48)
        for y in 0..<48 { for x in 0..<32 { image[x, y] = x < 16 ? (230, 20, 20) : (20, 20, 230) } }
        return image
    }

    /// Rotates 90° counter-clockwise by hand: what a camera held rotated stores.
    private func rotatedCounterClockwise(_ image: RGBImage) -> RGBImage {
        var out = RGBImage(width: image.height, height: image.width)
        for y in 0..<image.height { for x in 0..<image.width { out[y, image.width - 1 - x] = image[x, y] } }
        return out
    }

    private func assertUpright(_ image: RGBImage, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([image.width, image.height], [32, 48], message, file: file, line: line)
        guard image.width == 32 else { return }
        let left = image[4, 24], right = image[27, 24]
        XCTAssertTrue(left.0 > 180 && left.2 < 70, "\(message): left is \(left), not red", file: file, line: line)
        XCTAssertTrue(right.2 > 180 && right.0 < 70, "\(message): right is \(right), not blue", file: file, line: line)
    }

    /// Orientation 6 stores the photo turned 90° counter-clockwise (display
    /// rotates clockwise); 8 stores it turned clockwise.
    func testRotatedFixturesComeOutUpright() throws {
        let stored6 = rotatedCounterClockwise(upright())
        let stored8 = rotatedCounterClockwise(rotatedCounterClockwise(stored6))
        for (orientation, stored) in [(UInt16(6), stored6), (8, stored8)] {
            for bigEndian in [true, false] {
                let jpeg = ImagingFixtures.insertingExifOrientation(orientation, into: try JPEGEncoder.encode(stored, quality: 95),
                                                                    bigEndian: bigEndian)
                let decoded = try JPEGDecoder().decode(data: jpeg)
                XCTAssertEqual(decoded.orientation, Int(orientation))
                XCTAssertEqual([decoded.originalWidth, decoded.originalHeight], [48, 32])
                assertUpright(decoded.image, "orientation \(orientation), \(bigEndian ? "MM" : "II")")
                XCTAssertEqual(decoded.header.uprightSize, ImageSize(width: 32, height: 48))
            }
        }
    }

    /// The target size is in upright terms: a tall rotated photo asks libjpeg
    /// for the swapped size.
    func testScaledDecodeOfRotatedPhoto() throws {
        var tall = RGBImage(width: 200, height: 400)   // upright
        for y in 0..<400 { for x in 0..<200 { tall[x, y] = x < 100 ? (230, 20, 20) : (20, 20, 230) } }
        let stored = rotatedCounterClockwise(tall)     // 400×200 in the file
        let jpeg = ImagingFixtures.insertingExifOrientation(6, into: try JPEGEncoder.encode(stored), bigEndian: true)
        let decoded = try JPEGDecoder().decode(data: jpeg, targetSize: ImageSize(width: 50, height: 100))
        XCTAssertEqual(decoded.scaleDenominator, 4)
        XCTAssertEqual([decoded.image.width, decoded.image.height], [50, 100])
        XCTAssertGreaterThan(decoded.image[10, 50].0, 180)
    }

    /// All eight tags, on fixtures written by Pillow and checked against what
    /// Pillow's exif_transpose makes of them.
    func testAllEightOrientationsMatchPillow() throws {
        let fixtures = try ImagingFixtures.generate(self)
        for tag in 1...8 {
            let fixture = try XCTUnwrap(fixtures["orientation_\(tag)"])
            let decoded = try JPEGDecoder().decode(path: fixture.file)
            XCTAssertEqual(decoded.orientation, tag)
            XCTAssertEqual([decoded.image.width, decoded.image.height], fixture.size, "tag \(tag)")
            let means = ImagingFixtures.quadrantMeans(decoded.image)
            let pillow = try XCTUnwrap(fixture.quadrants)
            for q in 0..<4 {
                ImagingFixtures.assertColour(means[q], (pillow[q][0], pillow[q][1], pillow[q][2]), tolerance: 4,
                                             "tag \(tag) quadrant \(q) vs Pillow")
                ImagingFixtures.assertColour(means[q], ImagingFixtures.quadrantColours[q], tolerance: 12,
                                             "tag \(tag) quadrant \(q) vs the drawn colour")
            }
        }
    }

    /// Group identities of the eight orientations on a small image with
    /// distinct pixels.
    func testOrientIdentities() throws {
        var image = RGBImage(width: 3, height: 2)
        for i in 0..<6 { image[i % 3, i / 3] = (UInt8(i), UInt8(10 + i), UInt8(20 + i)) }
        XCTAssertEqual(orient(image, orientation: 1), image)
        XCTAssertEqual(orient(image, orientation: 0), image, "out-of-range tags leave the pixels alone")
        XCTAssertEqual(orient(image, orientation: 9), image)
        XCTAssertEqual(orient(orient(image, orientation: 6), orientation: 8), image, "90° then −90°")
        XCTAssertEqual(orient(orient(image, orientation: 6), orientation: 6), orient(image, orientation: 3), "90°+90° = 180°")
        XCTAssertEqual(orient(orient(image, orientation: 2), orientation: 4), orient(image, orientation: 3), "mirror ∘ flip = 180°")
        for tag in [2, 3, 4, 5, 7] {
            XCTAssertEqual(orient(orient(image, orientation: tag), orientation: tag), image, "tag \(tag) is its own inverse")
        }
        // Transpose by definition: out(x, y) = in(y, x).
        let transposed = orient(image, orientation: 5)
        XCTAssertEqual([transposed.width, transposed.height], [2, 3])
        for y in 0..<3 { for x in 0..<2 { XCTAssertTrue(transposed[x, y] == image[y, x]) } }
        // Rotate clockwise: the stored top-left ends at the top-right.
        let rotated = orient(image, orientation: 6)
        XCTAssertTrue(rotated[1, 0] == image[0, 0])
        XCTAssertTrue(rotated[0, 2] == image[2, 1])
    }

    func testMalformedExifIsIgnored() throws {
        let jpeg = try JPEGEncoder.encode(upright())
        // Value out of range, wrong magic, truncated TIFF: all read as 1.
        let outOfRange = ImagingFixtures.insertingExifOrientation(9, into: jpeg, bigEndian: false)
        XCTAssertEqual(try JPEGDecoder().decode(data: outOfRange).orientation, 1)
        var badMagic = ImagingFixtures.insertingExifOrientation(6, into: jpeg, bigEndian: false)
        badMagic[2 + 4 + 6 + 2] = 41   // 42 → 41 in "II*\0"
        XCTAssertEqual(try JPEGDecoder().decode(data: badMagic).orientation, 1)
        XCTAssertEqual(ExifOrientation.parse(Array("Exif".utf8) + [0, 0, 0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 5]), 1)
        XCTAssertEqual(ExifOrientation.parse([]), 1)
        assertUpright(try JPEGDecoder().decode(data: outOfRange).image, "ignored tag")
    }
}
