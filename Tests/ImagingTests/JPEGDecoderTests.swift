import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// Real photos and every colour space / coding mode, against Pillow.
final class JPEGDecoderTests: XCTestCase {
    static let samples = ["dog", "eagle", "giraffe", "horses", "kite", "person", "scream"]

    /// Full-size decodes match Pillow's size and pixels (both use libjpeg, so
    /// only IDCT/upsampling rounding may differ).
    func testSamplesDecodeLikePillow() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        for name in Self.samples {
            let path = try TestEnvironment.data("samples/\(name).jpg")
            let decoded = try JPEGDecoder().decode(path: path)
            let raw = directory + "/\(name).rgb"
            let size = String(decoding: try TestEnvironment.runReference("imaging_reference.py", ["decode", path, raw]),
                              as: UTF8.self).split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            XCTAssertEqual([decoded.image.width, decoded.image.height], size, name)
            XCTAssertEqual(decoded.scaleDenominator, 1, name)
            XCTAssertEqual(decoded.orientation, 1, name)
            XCTAssertEqual([decoded.originalWidth, decoded.originalHeight], size, name)
            let difference = ImagingFixtures.meanAbsoluteDifference(decoded.image.pixels, try ImagingFixtures.readBytes(raw))
            XCTAssertLessThan(difference, 1.0, "\(name): mean |Δ| against Pillow")
        }
    }

    /// Asking for 224×224 decodes a large photo at a reduced DCT scale: the
    /// smallest power-of-two reduction that still covers 224 in both axes.
    func testDCTScalingChoosesSmallestSufficientScale() throws {
        for name in Self.samples {
            let path = try TestEnvironment.data("samples/\(name).jpg")
            let header = try JPEGDecoder().readHeader(path: path)
            let decoded = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 224))
            let image = decoded.image
            XCTAssertGreaterThanOrEqual(min(image.width, image.height), 224, name)
            let d = decoded.scaleDenominator
            // libjpeg rounds scaled sizes up.
            XCTAssertEqual(image.width, (header.width + d - 1) / d, name)
            XCTAssertEqual(image.height, (header.height + d - 1) / d, name)
            if d < 8 {
                let next = 2 * d
                let smaller = min((header.width + next - 1) / next, (header.height + next - 1) / next)
                XCTAssertLessThan(smaller, 224, "\(name): 1/\(next) would also have covered 224")
            }
        }
        let kite = try TestEnvironment.data("samples/kite.jpg")   // 1352×900
        let decoded = try JPEGDecoder().decode(path: kite, targetSize: ImageSize(square: 224))
        XCTAssertGreaterThan(decoded.scaleDenominator, 1, "a 1352×900 photo must not be decoded at full size for 224")
        print("kite.jpg \(decoded.originalWidth)×\(decoded.originalHeight) decoded at 1/\(decoded.scaleDenominator):",
              "\(decoded.image.width)×\(decoded.image.height)")
    }

    func testScaledDecodeAgreesWithFullDecodeShrunk() throws {
        let path = try TestEnvironment.data("samples/kite.jpg")
        let scaled = try JPEGDecoder().decode(path: path, targetSize: ImageSize(square: 224))
        let full = try JPEGDecoder().decode(path: path)
        let shrunk = resize(full.image, width: scaled.image.width, height: scaled.image.height, filter: .area)
        XCTAssertLessThan(ImagingFixtures.meanAbsoluteDifference(scaled.image.pixels, shrunk.pixels), 3.0)
    }

    func testCOCOPhotosDecodeForTheNetwork() throws {
        let directory = try TestEnvironment.data("coco-val2017/images")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jpg") }.sorted()
        XCTAssertFalse(names.isEmpty)
        for name in names.prefix(20) {
            let decoded = try JPEGDecoder().decode(path: directory + "/" + name, targetSize: ImageSize(square: 224))
            XCTAssertGreaterThanOrEqual(min(decoded.image.width, decoded.image.height), 224, name)
        }
    }

    func testColourSpacesAndProgressiveMatchPillow() throws {
        let fixtures = try ImagingFixtures.generate(self)
        let expectations: [(String, JPEGHeader.ColorSpace, Bool, Double)] = [
            ("baseline", .ycbcr, false, 1.0),
            ("progressive", .ycbcr, true, 1.0),
            ("grayscale", .grayscale, false, 0.5),
            // Pillow and this decoder round the CMYK product slightly differently.
            ("cmyk", .cmyk, false, 1.5),
        ]
        for (name, colourSpace, progressive, tolerance) in expectations {
            let fixture = try XCTUnwrap(fixtures[name], name)
            let decoded = try JPEGDecoder().decode(path: fixture.file)
            XCTAssertEqual(decoded.header.colorSpace, colourSpace, name)
            XCTAssertEqual(decoded.header.progressive, progressive, name)
            XCTAssertEqual(fixture.progressive, progressive, "\(name): Pillow's view of the fixture")
            XCTAssertEqual([decoded.image.width, decoded.image.height], fixture.size, name)
            let reference = try ImagingFixtures.readBytes(try XCTUnwrap(fixture.pixels))
            let difference = ImagingFixtures.meanAbsoluteDifference(decoded.image.pixels, reference)
            XCTAssertLessThan(difference, tolerance, "\(name): mean |Δ| against Pillow's RGB")
        }
    }

    /// Adobe CMYK and YCCK (Photoshop's usual CMYK JPEG), written by libjpeg
    /// from ink values chosen for known RGB colours.
    func testAdobeCMYKAndYCCKDecodeToTheirRGBColours() throws {
        // (inverted C, M, Y, K) -> expected RGB: red, green, blue, mid grey via K.
        let swatches: [([UInt8], (Double, Double, Double))] = [
            ([255, 0, 0, 255], (255, 0, 0)), ([0, 255, 0, 255], (0, 255, 0)),
            ([0, 0, 255, 255], (0, 0, 255)), ([255, 255, 255, 128], (128, 128, 128)),
        ]
        let width = 64, height = 48
        var cmyk = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            for x in 0..<width {
                let swatch = swatches[(y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1)].0
                for c in 0..<4 { cmyk[(y * width + x) * 4 + c] = swatch[c] }
            }
        }
        for storage in [JPEGEncoder.CMYKStorage.cmyk, .ycck] {
            let jpeg = try JPEGEncoder.encodeCMYK(cmyk, width: width, height: height, storage: storage, quality: 95)
            let decoded = try JPEGDecoder().decode(data: jpeg)
            XCTAssertEqual(decoded.header.colorSpace, storage == .cmyk ? .cmyk : .ycck)
            XCTAssertEqual(decoded.header.components, 4)
            let means = ImagingFixtures.quadrantMeans(decoded.image)
            for q in 0..<4 {
                ImagingFixtures.assertColour(means[q], swatches[q].1, tolerance: 6, "\(storage) quadrant \(q)")
            }
        }
    }

    func testGrayscaleComesOutAsEqualRGB() throws {
        let fixture = try XCTUnwrap(try ImagingFixtures.generate(self)["grayscale"])
        let image = try JPEGDecoder().decode(path: fixture.file).image
        for i in stride(from: 0, to: image.pixels.count, by: 3) {
            XCTAssertEqual(image.pixels[i], image.pixels[i + 1])
            XCTAssertEqual(image.pixels[i], image.pixels[i + 2])
        }
    }

    func testProgressiveAndCMYKDecodeScaled() throws {
        let fixtures = try ImagingFixtures.generate(self)
        for name in ["progressive", "cmyk"] {
            let fixture = try XCTUnwrap(fixtures[name])
            let decoded = try JPEGDecoder().decode(path: fixture.file, targetSize: ImageSize(square: 20))
            XCTAssertEqual(decoded.scaleDenominator, 2, name)   // 80×60 → 40×30 covers 20, 20×15 does not
            XCTAssertEqual([decoded.image.width, decoded.image.height], [40, 30], name)
        }
    }
}
