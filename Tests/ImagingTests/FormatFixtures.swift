import Foundation
import XCTest
import Imaging
import TestSupport

/// Files of every format and variant, written by
/// Tests/Reference/make_format_fixtures.py from the sample photos.
struct FormatFixtures: Decodable {
    struct Fixture: Decodable {
        let file: String
        let format: String
        let reference: String
        /// "same", "grey", "alpha-left" or "alpha-half" (see the script).
        let expect: String
        let tolerance: Double
        let orientation: Int?

        var name: String { URL(fileURLWithPath: file).lastPathComponent }
    }

    struct Video: Decodable {
        let file: String
        let container: String
    }

    let fixtures: [Fixture]
    let videos: [Video]
    /// Where the files are.
    var directory = ""

    private enum CodingKeys: String, CodingKey { case fixtures, videos }

    /// Writes the fixtures into `directory` (the caller removes it).
    static func generate(into directory: String, width: Int = 320) throws -> FormatFixtures {
        let samples = try TestEnvironment.data("samples")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = try TestEnvironment.runReference("make_format_fixtures.py", [samples, directory, String(width)])
        var result = try JSONDecoder().decode(FormatFixtures.self, from: json)
        result.directory = directory
        return result
    }

    /// The first fixture of each format's main variant, for damage tests.
    func originals() -> [(format: String, file: String)] {
        var seen = Set<String>()
        return fixtures.compactMap { fixture in
            guard !seen.contains(fixture.format) else { return nil }
            seen.insert(fixture.format)
            return (fixture.format, fixture.file)
        }
    }
}

/// Generates the fixtures once per test class (the script takes seconds).
class FormatFixtureTestCase: XCTestCase {
    nonisolated(unsafe) private static var generated: [ObjectIdentifier: Result<FormatFixtures, Error>] = [:]
    class var fixtureWidth: Int { 320 }

    private static var directory: String {
        NSTemporaryDirectory() + "format-fixtures-\(getpid())-\(String(describing: self))"
    }

    func fixtures() throws -> FormatFixtures {
        let key = ObjectIdentifier(Self.self)
        if Self.generated[key] == nil {
            Self.generated[key] = Result { try FormatFixtures.generate(into: Self.directory, width: Self.fixtureWidth) }
        }
        return try Self.generated[key]!.get()
    }

    override class func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
        generated[ObjectIdentifier(self)] = nil
        super.tearDown()
    }
}

/// Comparisons of decoded pictures.
enum PictureComparison {
    /// The picture the fixture must decode to, from its reference JPEG.
    static func expected(_ fixture: FormatFixtures.Fixture, reference: RGBImage) -> RGBImage {
        var image = reference
        switch fixture.expect {
        case "grey":
            for i in stride(from: 0, to: image.pixels.count, by: 3) {
                let r = Int(image.pixels[i]), g = Int(image.pixels[i + 1]), b = Int(image.pixels[i + 2])
                let luma = UInt8((r * 299 + g * 587 + b * 114 + 500) / 1000)
                image.pixels[i] = luma; image.pixels[i + 1] = luma; image.pixels[i + 2] = luma
            }
        case "alpha-half":
            for i in image.pixels.indices {
                let blended: Int = (Int(image.pixels[i]) * 128 + 128 * 127 + 127) / 255
                image.pixels[i] = UInt8(blended)
            }
        case "alpha-left":
            for y in 0..<image.height {
                for x in 0..<image.width / 2 { image[x, y] = (128, 128, 128) }
            }
        default:
            break
        }
        return image
    }
}
