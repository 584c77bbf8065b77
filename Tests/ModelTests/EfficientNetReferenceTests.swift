import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The Swift network against Tests/Reference/efficientnet_ref.py, an
/// independent NumPy implementation that reads the original checkpoint with
/// its BatchNorm unfolded (so the converter's folding is checked too).
final class EfficientNetReferenceTests: XCTestCase {
    private static let photos = ["samples/dog.jpg", "coco-val2017/images/000000000139.jpg",
                                 "coco-val2017/images/000000000632.jpg", "samples/giraffe.jpg"]

    private func loadNetwork() throws -> EfficientNetLite {
        try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbone)))
    }

    /// The reference decodes the photos with PIL and writes the input tensor,
    /// so decoding differences do not enter the comparison.
    private func referenceRun(_ photos: [String], variant: String = "lite0") throws -> (input: [Float], logits: [[Float]]) {
        let paths = try photos.map { try TestEnvironment.data($0) }
        let tensorPath = try TestEnvironment.temporaryDirectory(self) + "/input-\(variant).f32"
        let json = try TestEnvironment.runReference("efficientnet_ref.py",
                                                    ["--variant", variant, "--tensor-out", tensorPath] + paths)
        struct Reply: Decodable { let logits: [[Double]] }
        let reply = try JSONDecoder().decode(Reply.self, from: json)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: tensorPath))
        let input = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (input, reply.logits.map { $0.map(Float.init) })
    }

    private func top(_ k: Int, _ scores: some Collection<Float>) -> [Int] {
        Array(scores.enumerated().sorted { $0.element > $1.element }.prefix(k).map(\.offset))
    }

    func testLogitsMatchNumPyReferenceOnRealPhotos() throws {
        let network = try loadNetwork()
        let (input, expected) = try referenceRun(Self.photos)
        XCTAssertEqual(expected.count, Self.photos.count)
        let output = try network.forward(input, batch: Self.photos.count)
        for (i, photo) in Self.photos.enumerated() {
            let got = Array(output.logits(of: i))
            let scale = expected[i].map(abs).max()!
            let maxDiff = zip(got, expected[i]).map { abs($0 - $1) }.max()!
            print("EfficientNet-Lite0 vs NumPy reference, \(photo): max |Δlogit| = \(maxDiff) (max |logit| \(scale))")
            XCTAssertLessThanOrEqual(maxDiff, 1e-3 * scale, photo)
            XCTAssertEqual(top(5, got), top(5, expected[i]), "top-5 of \(photo)")
        }
        // samples/dog.jpg is a dog: ImageNet classes 151–268 are dog breeds.
        let dogClass = top(1, output.logits(of: 0))[0]
        XCTAssertTrue((151...268).contains(dogClass), "dog.jpg classified as class \(dogClass)")
    }

    /// Lite1 (21 blocks, 240 px) and Lite2 (21 wider blocks, 260 px) are the
    /// same network built from their files' block tables; the reference
    /// derives their tables from EfficientNet's scaling rules instead.
    func testLite1AndLite2MatchNumPyReferenceOnRealPhotos() throws {
        let photos = ["samples/dog.jpg", "coco-val2017/images/000000000632.jpg"]
        for (variant, side, headSide) in [("lite1", 240, 8), ("lite2", 260, 9)] {
            let network = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbones[variant]!)))
            XCTAssertEqual(network.name, "efficientnet-\(variant)")
            XCTAssertEqual(network.imageSize, side)
            XCTAssertEqual(network.headSide, headSide)
            XCTAssertEqual(network.blocks.count, 21)
            let (input, expected) = try referenceRun(photos, variant: variant)
            XCTAssertEqual(input.count, photos.count * 3 * side * side)
            let output = try network.forward(input, batch: photos.count)
            for (i, photo) in photos.enumerated() {
                let got = Array(output.logits(of: i))
                let scale = expected[i].map(abs).max()!
                let maxDiff = zip(got, expected[i]).map { abs($0 - $1) }.max()!
                print("EfficientNet-\(variant) vs NumPy reference, \(photo): max |Δlogit| = \(maxDiff) (max |logit| \(scale))")
                XCTAssertLessThanOrEqual(maxDiff, 1e-3 * scale, "\(variant) \(photo)")
                XCTAssertEqual(top(5, got), top(5, expected[i]), "\(variant) top-5 of \(photo)")
            }
            XCTAssertTrue((151...268).contains(top(1, output.logits(of: 0))[0]), "\(variant): dog.jpg is not a dog")
            // Its own input size gives an 8×8 or 9×9 head map, not the 7×7 grid the cells are built on.
            XCTAssertThrowsError(try network.forward(input, batch: photos.count, keepGrid: true)) { error in
                XCTAssertEqual(error as? BackboneError, .gridUnavailable(imageSize: side, side: headSide))
            }
            // At 224 pixels (fully convolutional) it gives that grid, whose mean is the pooled feature.
            let at224 = try EfficientNetLite(weights: network.weights, imageSize: 224)
            let (small, _) = try referenceRun(["samples/dog.jpg"])
            let gridded = try at224.forward(small, batch: 1, keepGrid: true)
            let grid = try XCTUnwrap(gridded.grid)
            XCTAssertEqual(grid.count, 49 * EfficientNetLite.featureCount)
            for c in stride(from: 0, to: EfficientNetLite.featureCount, by: 97) {
                let mean = (0..<49).map { grid[$0 * EfficientNetLite.featureCount + c] }.reduce(0, +) / 49
                XCTAssertEqual(mean, gridded.features[c], accuracy: 1e-4 * max(1, abs(mean)), "\(variant) channel \(c)")
            }
        }
    }

    /// A workspace used by a bigger network and then a smaller one (and back) is re-sized, not overrun.
    func testOneWorkspaceServesNetworksOfDifferentSizes() throws {
        let lite0 = try loadNetwork()
        let lite2 = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbones["lite2"]!)))
        let (input0, _) = try referenceRun(["samples/dog.jpg"])
        let (input2, _) = try referenceRun(["samples/dog.jpg"], variant: "lite2")
        let workspace = EfficientNetWorkspace()
        let first = try lite0.forward(input0, batch: 1, workspace: workspace)
        let big = try lite2.forward(input2, batch: 1, workspace: workspace)
        let again = try lite0.forward(input0, batch: 1, workspace: workspace)
        XCTAssertEqual(first.logits, again.logits)
        XCTAssertEqual(big.logits, try lite2.forward(input2, batch: 1).logits)
    }

    func testMalformedBlockTablesAreRejected() throws {
        let lite0 = try loadNetwork()
        let directory = try TestEnvironment.temporaryDirectory(self)
        let cases: [(String?, String)] = [("[[3,1,1,32,16],[3,2,6,24,24]]", "takes 24 channels"), ("not json", "not a block table"),
                                          ("[[4,1,1,32,16]]", "not a block table"), (nil, "no block table")]
        for (blocks, reason) in cases {
            var writer = WeightFileWriter(metadata: lite0.weights.metadata)
            writer.metadata["blocks"] = blocks
            for name in lite0.weights.tensorNames {
                let entry = lite0.weights.entries[name]!
                writer.add(name, shape: entry.shape, values: try lite0.weights.floatArray(name))
            }
            let path = directory + "/bad.safetensors"
            try writer.write(to: path)
            XCTAssertThrowsError(try EfficientNetLite(weights: WeightFile(path: path))) { error in
                XCTAssertTrue("\(error)".contains(reason), "\(blocks ?? "no blocks"): \(error)")
            }
        }
    }

    func testBatchGivesSameResultsAsSingleImages() throws {
        let network = try loadNetwork()
        let (input, _) = try referenceRun(Array(Self.photos.prefix(2)))
        let workspace = EfficientNetWorkspace()
        let batched = try network.forward(input, batch: 2, workspace: workspace)
        for i in 0..<2 {
            let single = try network.forward(Array(input[(i * EfficientNetLite.gridInputCount)..<((i + 1) * EfficientNetLite.gridInputCount)]),
                                             batch: 1, workspace: workspace)
            let diff = zip(single.features, batched.features(of: i)).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(diff, 1e-4, "features of image \(i), alone vs in a batch")
            // One image takes the matrix-vector classifier path, a batch the matrix product.
            let logitDiff = zip(single.logits, batched.logits(of: i)).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(logitDiff, 1e-4, "logits of image \(i), alone vs in a batch")
        }
    }

    /// forwardEach (one image at a time in one workspace) returns what one batched pass does, grid included.
    func testImageByImagePassEqualsTheBatchedPass() throws {
        let network = try loadNetwork()
        let (input, _) = try referenceRun(Array(Self.photos.prefix(3)))
        let batched = try network.forward(input, batch: 3, keepGrid: true)
        let each = try network.forwardEach(input, batch: 3, keepGrid: true)
        XCTAssertEqual(each.batch, 3)
        for (a, b, name) in [(each.features, batched.features, "features"), (each.logits, batched.logits, "logits"),
                             (try XCTUnwrap(each.grid), try XCTUnwrap(batched.grid), "grid")] {
            XCTAssertEqual(a.count, b.count, name)
            XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? 1, 1e-4, name)
        }
        XCTAssertNil(try network.forwardEach(input, batch: 3).grid)
        XCTAssertThrowsError(try network.forwardEach(input, batch: 2))
    }

    func testDeferredAndInPlaceEpiloguesGiveTheSameNetwork() throws {
        // Without kept activations the expand/head bias and ReLU6 move into the
        // depthwise copy and the pooling; with them each conv applies its own.
        let network = try loadNetwork()
        let (input, _) = try referenceRun(["samples/dog.jpg"])
        let deferred = try network.forward(input, batch: 1)
        let inPlace = try network.forward(input, batch: 1, keepActivations: true)
        let diff = zip(deferred.logits, inPlace.logits).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(diff, 1e-4, "logits, deferred vs in-place epilogues")
    }

    func testKeptActivationsChainFromInputToLogits() throws {
        let network = try loadNetwork()
        let (input, _) = try referenceRun(["samples/dog.jpg"])
        let output = try network.forward(input, batch: 1, keepActivations: true)
        let layers = try XCTUnwrap(output.activations)
        // stem + 15 expands + 16 depthwise + 16 projects + head + pool + fc
        XCTAssertEqual(layers.count, 1 + 15 + 16 + 16 + 1 + 2)
        XCTAssertEqual(layers.first?.input.map { $0 }, input.map { ($0 - 127) / 128 })
        for (before, after) in zip(layers, layers.dropFirst()) {
            XCTAssertEqual(before.outputShape, after.inputShape, "\(before.name) → \(after.name)")
            XCTAssertEqual(before.output, after.input, "\(before.name) → \(after.name)")
        }
        XCTAssertEqual(layers.last?.output, output.logits)
        for layer in layers where layer.residualFrom != nil {
            XCTAssertEqual(layers[layer.residualFrom!].inputShape, layer.outputShape, layer.name)
        }
    }

    func testWrongInputSizeThrows() throws {
        let network = try loadNetwork()
        XCTAssertThrowsError(try network.forward([Float](repeating: 0, count: 10), batch: 1)) { error in
            XCTAssertEqual(error as? BackboneError, .inputSize(expected: network.inputCount, actual: 10, side: network.imageSize))
        }
        XCTAssertThrowsError(try network.forward([], batch: 0))
    }
}
