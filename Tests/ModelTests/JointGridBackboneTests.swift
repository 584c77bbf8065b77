import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The 7×7 grid the backbone hands a grid joint model: the pooled feature is
/// its mean over cells, on both forward paths (deferred epilogue, recorded
/// activations), and a grid model embeds a real photo through it.
final class JointGridBackboneTests: XCTestCase {
    func testGridAveragesToThePooledFeatureOnBothForwardPaths() throws {
        let backbone = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbone)))
        var rng = LCG(seed: 7)
        let n = 2
        let input = (0..<(n * EfficientNetLite.gridInputCount)).map { _ in 127.5 + 127 * rng.uniform() }
        let (f, cells) = (EfficientNetLite.featureCount, BackboneOutput.gridCells)
        for keep in [false, true] {
            let out = try backbone.forward(input, batch: n, keepActivations: keep, keepGrid: true)
            let grid = try XCTUnwrap(out.grid)
            XCTAssertEqual(grid.count, n * cells * f)
            XCTAssertTrue(grid.allSatisfy { $0 >= 0 && $0 <= 6 }, "ReLU6 applied")
            var worst: Float = 0
            for image in 0..<n {
                for c in 0..<f {
                    let mean = (0..<cells).reduce(Float(0)) { $0 + grid[(image * cells + $1) * f + c] } / Float(cells)
                    worst = max(worst, abs(mean - out.features[image * f + c]))
                }
            }
            XCTAssertLessThan(worst, 1e-4, "keepActivations \(keep)")
        }
        XCTAssertNil(try backbone.forward(input, batch: n).grid, "no grid unless asked")
    }

    func testAGridModelAtZeroPoolingEmbedsARealPhotoAsItsPooledModel() throws {
        let backbone = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbone)))
        let bridge = try ZeroShotBridge(file: WeightFile(path: TestEnvironment.model(JointModelFiles.bridge)))
        var rng = LCG(seed: 3)
        var pooled = JointParameters(dimension: bridge.dimension)
        pooled.imageWeight = pooled.imageWeight.map { _ in 0.02 * rng.uniform() }
        let input = (0..<EfficientNetLite.gridInputCount).map { _ in 127.5 + 127 * rng.uniform() }
        let out = try backbone.forward(input, batch: 1, keepGrid: true)
        let a = try JointModel(parameters: pooled, bridge: bridge, modelID: "p").embedImages(out)
        let gridModel = JointModel(parameters: pooled.withGridPooling(cells: BackboneOutput.gridCells), bridge: bridge, modelID: "g")
        let b = try gridModel.embedImages(out)
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-4) }
        XCTAssertThrowsError(try gridModel.embedImages(backbone.forward(input, batch: 1)), "a grid model refuses a pass without the grid")
    }
}
