import Foundation
import XCTest
@testable import Imaging
import TestSupport

final class EncoderTests: XCTestCase {
    private func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { image[x, y] = (UInt8(x * 255 / width), UInt8(y * 255 / height), 128) } }
        return image
    }

    func testJPEGRoundTrip() throws {
        let image = gradient(width: 90, height: 70)
        let jpeg = try JPEGEncoder.encode(image, quality: 95)
        XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8])
        let decoded = try JPEGDecoder().decode(data: jpeg).image
        XCTAssertEqual([decoded.width, decoded.height], [90, 70])
        XCTAssertLessThan(ImagingFixtures.meanAbsoluteDifference(decoded.pixels, image.pixels), 2.0)
        XCTAssertLessThan(try JPEGEncoder.encode(image, quality: 20).count, jpeg.count, "quality must matter")
    }

    func testJPEGEncoderRejectsBadArguments() {
        XCTAssertThrowsError(try JPEGEncoder.encode(gradient(width: 4, height: 4), quality: 0))
        XCTAssertThrowsError(try JPEGEncoder.encode(gradient(width: 4, height: 4), quality: 101))
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]))
        XCTAssertThrowsError(try RGBImage(width: 0, height: 2, pixels: []))
    }

    func testPNGReadsBackExactlyInPillow() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        // Large enough for several stored deflate blocks (> 65535 bytes).
        let image = gradient(width: 300, height: 100)
        let path = directory + "/out.png", raw = directory + "/out.rgb"
        try ImagingFixtures.write(try PNGEncoder.encode(image), to: path)
        let size = String(decoding: try TestEnvironment.runReference("imaging_reference.py", ["png", path, raw]), as: UTF8.self)
        XCTAssertEqual(size.trimmingCharacters(in: .whitespacesAndNewlines), "300 100")
        XCTAssertEqual(try ImagingFixtures.readBytes(raw), image.pixels)
    }

    func testChecksumsOnKnownVectors() {
        // Standard check values: CRC-32 and Adler-32 of "123456789".
        XCTAssertEqual(PNGEncoder.crc32(Array("123456789".utf8)), 0xCBF4_3926)
        XCTAssertEqual(PNGEncoder.adler32(Array("123456789".utf8)), 0x091E_01DE)
    }
}
