import Imaging
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The synthetic acceptance check: a photo pasted into one corner of a blank
/// canvas; every method's map must peak in that corner.
final class SaliencyBackboneTests: XCTestCase {
    private static let side = EfficientNetLite.gridInputSize

    /// The dog photo at half size in the given corner of a flat grey canvas, (3,224,224).
    private func canvas(corner: (x: Int, y: Int)) throws -> [Float] {
        let photo = try JPEGDecoder().decode(path: TestEnvironment.data("samples/dog.jpg")).image
        let half = Self.side / 2
        let small = networkInput(photo, size: half, transform: .centerCrop)
        var input = [Float](repeating: 128, count: 3 * Self.side * Self.side)
        for c in 0..<3 {
            for y in 0..<half {
                for x in 0..<half {
                    input[(c * Self.side + corner.y * half + y) * Self.side + corner.x * half + x] = small[(c * half + y) * half + x]
                }
            }
        }
        return input
    }

    func testMapPeaksOnThePastedPhoto() throws {
        let backbone = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model("efficientnet-lite0.safetensors")))
        for corner in [(x: 0, y: 0), (x: 1, y: 1)] {
            let input = try canvas(corner: corner)
            for featureMap in [Excitation.FeatureMap.block14, .head7] {
                let explainer = try Explainer(backbone: backbone, target: .imagenetClass(nil), featureMap: featureMap)
                for method in [ExplanationMethod.eb, .cmwp, .gradient] {
                    let explanation = try explainer.explain(input: input, query: "", method: method)
                    let map = explanation.map
                    let what = "\(method) \(featureMap) corner \(corner)"
                    // The peak cell's centre, in input pixels, lies on the pasted half
                    // (a 7×7 grid's middle cell straddles the boundary: half a cell of slack).
                    let cell = Double(Self.side) / Double(map.width)
                    let centre = (x: (Double(map.argmax.x) + 0.5) * cell, y: (Double(map.argmax.y) + 0.5) * cell)
                    let half = Double(Self.side / 2)
                    let slack = cell / 2
                    for (value, side) in [(centre.x, corner.x), (centre.y, corner.y)] {
                        if side == 0 { XCTAssertLessThanOrEqual(value, half + slack, what) }
                        else { XCTAssertGreaterThanOrEqual(value, half - slack, what) }
                    }
                    if method == .eb {
                        // Probability never grows on the way down; units lit by their
                        // folded BatchNorm bias alone keep their share (about 3/4 by
                        // block 11 on photos), so only a positive remainder is required.
                        XCTAssertLessThanOrEqual(map.total, 1.0001, what)
                        XCTAssertGreaterThan(map.total, 0.02, what)
                    }
                }
            }
        }
    }
}
