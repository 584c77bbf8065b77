import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The grid image side (GridProjection.swift, GridPooling.swift) against the
/// independent NumPy implementation in Tests/Reference/joint_grid_ref.py.
final class JointGridReferenceTests: XCTestCase {
    func testGridPhiAndCellEmbeddingsMatchNumPy() throws {
        var fx = JointFixture()
        let n = fx.batch, d = fx.dimension, cells = 4
        var p = fx.parameters().withGridPooling(cells: cells)
        p.gridPooling = fx.values(cells, scale: 2)
        let bridge = fx.bridge(topT: 3)
        let logits = fx.values(n * fx.classes, scale: 4)
        let grid = fx.values(n * cells * fx.featureWidth, scale: 2).map { max($0, 0) }  // post-ReLU6 like the backbone's
        let cellLogits = fx.values(n * cells * fx.classes, scale: 4)

        let dir = try TestEnvironment.temporaryDirectory(self)
        var writer = WeightFileWriter(metadata: ["top_t": "3"])
        writer.add("class_text", shape: [fx.classes, d], values: bridge.classText)
        writer.add("logits", shape: [n, fx.classes], values: logits)
        writer.add("grid", shape: [n, cells, fx.featureWidth], values: grid)
        writer.add("cell_logits", shape: [n * cells, fx.classes], values: cellLogits)
        writer.add("W", shape: [d, fx.featureWidth], values: p.imageWeight)
        writer.add("c", shape: [d], values: p.imageBias)
        writer.add("theta", shape: [cells], values: p.gridPooling!)
        try writer.write(to: dir + "/inputs.safetensors")
        let output = try TestEnvironment.runReference("joint_grid_ref.py", [dir + "/inputs.safetensors"])
        let ref = try XCTUnwrap(JSONSerialization.jsonObject(with: output) as? [String: Any])

        let model = JointModel(parameters: p, bridge: bridge, modelID: "grid-test")
        XCTAssertTrue(model.needsGrid)
        let phi = try model.checkedEmbedImages(features: [], logits: logits, grid: grid, batch: n)
        let cellEmbeddings = model.cellEmbeddings(grid: grid, cellLogits: cellLogits, cells: n * cells)
        for (name, ours) in [("phi", phi), ("cells", cellEmbeddings)] {
            let diff = maxRelativeDifference(ours, try XCTUnwrap(ref[name] as? [Double]))
            XCTAssertLessThan(diff, 1e-4, "\(name) maxdiff \(diff)")
        }
    }

    func testGridModelRoundTripsThroughItsWeightFileAndRejectsAMissingGrid() throws {
        var fx = JointFixture()
        var p = fx.parameters().withGridPooling(cells: 4)
        p.gridPooling = fx.values(4)
        let path = try TestEnvironment.temporaryDirectory(self) + "/grid.safetensors"
        try p.write(to: path, metadata: ["model_id": "g"])
        let file = try WeightFile(path: path)
        XCTAssertEqual(file.metadata[JointParameters.Metadata.imageInput], "grid")
        XCTAssertEqual(try JointParameters(file: file), p)

        let model = JointModel(parameters: p, bridge: fx.bridge(), modelID: "g")
        XCTAssertThrowsError(try model.checkedEmbedImages(features: fx.values(fx.featureWidth), logits: fx.values(fx.classes),
                                                          grid: nil, batch: 1)) { error in
            XCTAssertEqual(error as? JointModelError,
                           .wrongInputSize(what: "backbone grid", expected: 4 * fx.featureWidth, actual: 0))
        }
    }

    func testPooledModelFilesSayPooledAndStillLoad() throws {
        var fx = JointFixture()
        let p = fx.parameters()
        let path = try TestEnvironment.temporaryDirectory(self) + "/pooled.safetensors"
        try p.write(to: path, metadata: ["model_id": "p"])
        let file = try WeightFile(path: path)
        XCTAssertEqual(file.metadata[JointParameters.Metadata.imageInput], "pooled")
        let loaded = try JointParameters(file: file)
        XCTAssertNil(loaded.gridPooling)
        XCTAssertFalse(JointModel(parameters: loaded, bridge: fx.bridge(), modelID: "p").needsGrid)
    }
}
