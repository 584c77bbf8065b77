import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// The (3, 224, 224) network input: layout, value range and both transforms
/// against the Pillow reference.
final class NetworkInputTests: XCTestCase {
    private func reference(_ image: RGBImage, size: Int, transform: InputTransform) throws -> [Float] {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let input = directory + "/in.u8", output = directory + "/out.f32"
        try ImagingFixtures.write(image.pixels, to: input)
        _ = try TestEnvironment.runReference("imaging_reference.py", [
            "network", input, "\(image.height)", "\(image.width)", "\(size)", transform.rawValue, output])
        return try ImagingFixtures.readFloats(output)
    }

    func testLayoutIsCHWWithRGBValues() {
        var image = RGBImage(width: 40, height: 30)
        for y in 0..<30 { for x in 0..<40 { image[x, y] = x < 20 ? (255, 0, 10) : (0, 128, 250) } }
        let input = networkInput(image, size: 8)
        XCTAssertEqual(input.count, 3 * 8 * 8)
        let plane = 64
        // Row 3, column 0 (left) and column 7 (right) of each channel plane.
        XCTAssertEqual(input[0 * plane + 3 * 8 + 0], 255, accuracy: 1e-3)
        XCTAssertEqual(input[1 * plane + 3 * 8 + 0], 0, accuracy: 1e-3)
        XCTAssertEqual(input[2 * plane + 3 * 8 + 0], 10, accuracy: 1e-3)
        XCTAssertEqual(input[0 * plane + 3 * 8 + 7], 0, accuracy: 1e-3)
        XCTAssertEqual(input[1 * plane + 3 * 8 + 7], 128, accuracy: 1e-3)
        XCTAssertEqual(input[2 * plane + 3 * 8 + 7], 250, accuracy: 1e-3)
    }

    func testBothTransformsMatchReferenceOnARealPhoto() throws {
        let path = try TestEnvironment.data("samples/dog.jpg")
        let decoded = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 256))
        for transform in InputTransform.allCases {
            let ours = networkInput(decoded.image, transform: transform)
            let expected = try reference(decoded.image, size: 224, transform: transform)
            XCTAssertEqual(ours.count, expected.count)
            let maxDifference = zip(ours, expected).map { abs($0 - $1) }.max() ?? 0
            print("networkInput \(transform) on dog.jpg: max |Δ| vs Pillow reference \(maxDifference)")
            XCTAssertLessThan(maxDifference, 2e-3, "\(transform)")
        }
    }

    func testCenterCropOfTallAndWideImages() throws {
        for (w, h) in [(300, 500), (500, 300), (260, 256), (224, 224)] {
            var image = RGBImage(width: w, height: h)
            for y in 0..<h { for x in 0..<w { image[x, y] = (UInt8(x % 256), UInt8(y % 256), UInt8((x * y) % 251)) } }
            let ours = networkInput(image, size: 224, transform: .centerCrop)
            let expected = try reference(image, size: 224, transform: .centerCrop)
            let maxDifference = zip(ours, expected).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(maxDifference, 2e-3, "\(w)×\(h)")
        }
    }

    func testLoaderDecodesScaledAndUpright() throws {
        let path = try TestEnvironment.data("samples/kite.jpg")
        let input = try ImageLoader.loadNetworkInput(path: path)
        XCTAssertEqual(input.count, 3 * 224 * 224)
        XCTAssertTrue(input.allSatisfy { $0 >= -1e-3 && $0 <= 255 + 1e-3 }, "values outside 0…255")
        // Same as decoding at that scale by hand.
        let decoded = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 224))
        XCTAssertEqual(input, networkInput(decoded.image))
        XCTAssertThrowsError(try ImageLoader.loadNetworkInput(path: path + ".missing"))
    }
}
