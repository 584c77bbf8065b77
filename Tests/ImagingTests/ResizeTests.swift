import Foundation
import XCTest
@testable import Imaging
import TestSupport

/// Resampling against Pillow's float BILINEAR and an exact area-average
/// reference, plus cases checkable by hand.
final class ResizeTests: XCTestCase {
    private func random(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 255
        }
    }

    private func reference(_ values: [Float], width: Int, height: Int, channels: Int,
                           toWidth: Int, toHeight: Int, filter: String) throws -> [Float] {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let input = directory + "/in.f32", output = directory + "/out.f32"
        try ImagingFixtures.writeFloats(values, to: input)
        _ = try TestEnvironment.runReference("imaging_reference.py", [
            "resize", input, "\(height)", "\(width)", "\(channels)", "\(toHeight)", "\(toWidth)", filter, output])
        return try ImagingFixtures.readFloats(output)
    }

    /// Shrinking by non-integer and integer factors, and enlarging.
    static let shapes: [(Int, Int, Int, Int)] = [(37, 23, 11, 7), (64, 48, 16, 12), (30, 20, 224, 224),
                                                 (320, 240, 224, 224), (5, 9, 13, 4), (7, 7, 7, 3)]

    func testBilinearMatchesPillow() throws {
        for (w, h, outW, outH) in Self.shapes {
            let values = random(w * h, seed: UInt64(w * 1000 + h))
            let ours = resize(values, width: w, height: h, toWidth: outW, toHeight: outH, filter: .bilinear)
            let pillow = try reference(values, width: w, height: h, channels: 1, toWidth: outW, toHeight: outH, filter: "bilinear")
            XCTAssertEqual(ours.count, pillow.count)
            let maxDifference = zip(ours, pillow).map { abs($0 - $1) }.max() ?? 0
            print("bilinear \(w)×\(h) → \(outW)×\(outH): max |Δ| vs Pillow \(maxDifference)")
            XCTAssertLessThan(maxDifference, 2e-3, "\(w)×\(h) → \(outW)×\(outH)")
        }
    }

    func testAreaMatchesExactAverage() throws {
        for (w, h, outW, outH) in Self.shapes where outW * w <= 10_000 && outH * h <= 10_000 {
            let values = random(w * h * 3, seed: UInt64(w + h))
            let image = (w, h)
            let ours = values.withUnsafeBufferPointer { src -> [Float] in
                var out = [Float](repeating: 0, count: outW * outH * 3)
                out.withUnsafeMutableBufferPointer { dst in
                    resample(src, width: image.0, height: image.1, channels: 3,
                             horizontal: ResampleWeights(inputSize: w, outputSize: outW, filter: .area),
                             vertical: ResampleWeights(inputSize: h, outputSize: outH, filter: .area),
                             into: dst, layout: .interleaved(channels: 3))
                }
                return out
            }
            let exact = try reference(values, width: w, height: h, channels: 3, toWidth: outW, toHeight: outH, filter: "area")
            let maxDifference = zip(ours, exact).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(maxDifference, 2e-3, "area \(w)×\(h) → \(outW)×\(outH)")
        }
    }

    func testHandCheckableCases() {
        // 4×2 → 2×1 by area: each output is the mean of a 2×2 block.
        let values: [Float] = [0, 4, 8, 12,
                               2, 6, 10, 14]
        XCTAssertEqual(resize(values, width: 4, height: 2, toWidth: 2, toHeight: 1, filter: .area), [3, 11])
        // Bilinear 2× enlargement of [0, 8]: centres at 0.25 and 0.75 of the way.
        XCTAssertEqual(resize([0, 8], width: 2, height: 1, toWidth: 4, toHeight: 1), [0, 2, 6, 8])
        // A constant image stays constant at any size.
        let grey = RGBImage(width: 13, height: 7, fill: (90, 120, 150))
        XCTAssertEqual(resize(grey, width: 5, height: 11), RGBImage(width: 5, height: 11, fill: (90, 120, 150)))
        XCTAssertEqual(resize(grey, width: 13, height: 7), grey)
    }

    /// A one-pixel checkerboard shrunk by 3 must come out flat grey, not as a
    /// coarser pattern (aliasing).
    func testShrinkingDoesNotAlias() {
        var board = RGBImage(width: 96, height: 96)
        for y in 0..<96 { for x in 0..<96 where (x + y) % 2 == 0 { board[x, y] = (255, 255, 255) } }
        for filter in [ResizeFilter.bilinear, .area] {
            let small = resize(board, width: 32, height: 32, filter: filter)
            let values = small.pixels.map(Int.init)
            XCTAssertLessThanOrEqual((values.max() ?? 0) - (values.min() ?? 0), 60, "\(filter) aliased")
        }
    }
}
