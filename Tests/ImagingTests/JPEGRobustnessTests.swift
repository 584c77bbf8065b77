import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// Randomly damaged files: whatever the damage, the decoder returns an image
/// of a sane size or throws an ImageError; it never crashes, hangs or prints.
final class JPEGRobustnessTests: XCTestCase {
    private struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private func mutate(_ bytes: [UInt8], region: Range<Int>, flips: Int, generator: inout Generator) -> [UInt8] {
        var out = bytes
        for _ in 0..<flips { out[region.lowerBound + generator.next(region.count)] = UInt8(generator.next(256)) }
        return out
    }

    private func assertHandled(_ data: [UInt8], _ what: String) {
        // A damaged header may claim a larger size: keep it small so a
        // mutation cannot turn the test into a slow 100 MP decode.
        let decoder = JPEGDecoder(maximumPixels: 4_000_000)
        do {
            let decoded = try decoder.decode(data: data, targetSize: ImageSize(square: 64))
            XCTAssertEqual(decoded.image.pixels.count, decoded.image.width * decoded.image.height * 3, what)
        } catch is ImageError {
        } catch {
            XCTFail("\(what): unexpected error type \(error)")
        }
    }

    func testRandomDamageIsHandled() throws {
        let original = try ImagingFixtures.readBytes(try TestEnvironment.data("samples/person.jpg"))
        var generator = Generator(state: 2026)
        var thrown = 0
        let printed = ImagingFixtures.capturingStandardError {
            for trial in 0..<150 {
                let headerEnd = min(700, original.count)
                let damaged = trial % 2 == 0
                    ? mutate(original, region: 2..<headerEnd, flips: 1 + trial % 4, generator: &generator)
                    : mutate(original, region: headerEnd..<original.count, flips: 1 + trial % 8, generator: &generator)
                if (try? JPEGDecoder(maximumPixels: 4_000_000).decode(data: damaged)) == nil { thrown += 1 }
                assertHandled(damaged, "trial \(trial)")
            }
        }
        XCTAssertEqual(printed, "")
        XCTAssertGreaterThan(thrown, 0, "some damage must be detected")
        print("random damage: \(thrown) of 150 damaged files rejected, the rest decoded")
    }
}
