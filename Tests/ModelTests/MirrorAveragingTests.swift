import XCTest
@testable import Model

/// Flip test-time augmentation's averaging: means of the two views, with the
/// mirror's 7×7 map flipped back so each cell covers the same part of the photo.
final class MirrorAveragingTests: XCTestCase {
    private let f = EfficientNetLite.featureCount, c = EfficientNetLite.classCount, k = BackboneOutput.gridCells

    private func output(batch: Int, seed: Float) -> BackboneOutput {
        var out = BackboneOutput(batch: batch, features: (0..<(batch * f)).map { Float($0) * 0.001 + seed },
                                 logits: (0..<(batch * c)).map { sin(Float($0) + seed) }, activations: nil)
        out.grid = (0..<(batch * k * f)).map { cos(Float($0) * 0.37 + seed) }
        return out
    }

    func testFeaturesAndLogitsAreTheMeansOfBothViews() {
        let a = output(batch: 2, seed: 1), b = output(batch: 2, seed: 5)
        let m = BackboneOutput.averaged(a, mirror: b)
        XCTAssertEqual(m.batch, 2)
        for i in [0, 17, f, 2 * f - 1] { XCTAssertEqual(m.features[i], (a.features[i] + b.features[i]) / 2, accuracy: 1e-6) }
        for i in [0, 999, c + 3, 2 * c - 1] { XCTAssertEqual(m.logits[i], (a.logits[i] + b.logits[i]) / 2, accuracy: 1e-6) }
        XCTAssertNil(m.activations)
    }

    func testTheMirrorsGridIsFlippedBackBeforeAveraging() {
        let a = output(batch: 2, seed: 0), b = output(batch: 2, seed: 3)
        let m = BackboneOutput.averaged(a, mirror: b).grid!
        // Cell (row, column) of the photo pairs with (row, 6 − column) of the mirror.
        for (image, row, column, channel) in [(0, 0, 0, 0), (0, 3, 1, 640), (1, 6, 6, 1279), (1, 2, 5, 7)] {
            let at = ((image * 7 + row) * 7 + column) * f + channel
            let mirrored = ((image * 7 + row) * 7 + (6 - column)) * f + channel
            XCTAssertEqual(m[at], (a.grid![at] + b.grid![mirrored]) / 2, accuracy: 1e-6)
        }
        // Flipping twice is the identity.
        XCTAssertEqual(BackboneOutput.flippedGrid(BackboneOutput.flippedGrid(a.grid!, batch: 2), batch: 2), a.grid!)
    }
}
