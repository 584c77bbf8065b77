import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The joint space's forward computations against Tests/Reference/joint_ref.py.
final class JointReferenceTests: XCTestCase {
    func testBridgeProjectionsLossesAndMetricsMatchNumPy() throws {
        var fx = JointFixture()
        let n = fx.batch, d = fx.dimension
        let p = fx.parameters()
        let bridge = fx.bridge(topT: 3)
        let logits = fx.values(n * fx.classes, scale: 4)
        let features = fx.values(n * fx.featureWidth, scale: 2)
        let sentences = fx.unitRows(n, d)
        let negativeIndex = (0..<n).map { ($0 + 3) % n }
        let photoOfQuery = (0..<n).map { ($0 * 5) % n }
        let relevance = fx.values(n * n).map { abs($0) }
        let margin: Float = 0.3

        let dir = try TestEnvironment.temporaryDirectory(self)
        var writer = WeightFileWriter(metadata: ["top_t": "3", "margin": "\(margin)", "ndcg_k": "3"])
        writer.add("class_text", shape: [fx.classes, d], values: bridge.classText)
        writer.add("logits", shape: [n, fx.classes], values: logits)
        writer.add("features", shape: [n, fx.featureWidth], values: features)
        writer.add("W", shape: [d, fx.featureWidth], values: p.imageWeight)
        writer.add("c", shape: [d], values: p.imageBias)
        writer.add("sentences", shape: [n, d], values: sentences)
        writer.add("A", shape: [d, d], values: p.textWeight)
        writer.add("d", shape: [d], values: p.textBias)
        writer.add("negative_index", shape: [n], int32s: negativeIndex.map(Int32.init))
        writer.add("photo_of_query", shape: [n], int32s: photoOfQuery.map(Int32.init))
        writer.add("relevance", shape: [n, n], values: relevance)
        try writer.write(to: dir + "/inputs.safetensors")
        let output = try TestEnvironment.runReference("joint_ref.py", [dir + "/inputs.safetensors"])
        let ref = try XCTUnwrap(JSONSerialization.jsonObject(with: output) as? [String: Any])

        let b = bridge.forward(logits: logits, batch: n)
        let model = JointModel(parameters: p, bridge: bridge, modelID: "test")
        let phi = model.embedImages(features: features, logits: logits, batch: n)
        let theta = model.embedTexts(sentenceEmbeddings: sentences, batch: n)
        for (name, ours) in [("bridge", b), ("phi", phi), ("theta", theta)] {
            let diff = maxRelativeDifference(ours, try XCTUnwrap(ref[name] as? [Double]))
            XCTAssertLessThan(diff, 1e-4, "\(name) maxdiff \(diff)")
        }

        func positives(_ m: [Float]) -> [Float] { (0..<n).flatMap { m[((($0 + 1) % n) * d)..<(((($0 + 1) % n) + 1) * d)] } }
        func loss(_ a: [Float], _ pos: [Float], _ pool: [Float]) -> Float {
            var da = [Float](repeating: 0, count: a.count), dp = da, dn = da
            return tripletHingeLoss(anchors: a, positives: pos, negativePool: pool, negativeIndex: negativeIndex,
                                    margin: margin, weight: 1, dimension: d, dAnchors: &da, dPositives: &dp, dNegativePool: &dn)
        }
        XCTAssertEqual(Double(loss(phi, positives(phi), phi)), try XCTUnwrap(ref["loss_v"] as? Double), accuracy: 1e-5)
        XCTAssertEqual(Double(loss(phi, positives(theta), theta)), try XCTUnwrap(ref["loss_t1"] as? Double), accuracy: 1e-5)
        XCTAssertEqual(Double(loss(theta, positives(phi), phi)), try XCTUnwrap(ref["loss_t2"] as? Double), accuracy: 1e-5)

        let ranks = retrievalRanks(queries: theta, photos: phi, dimension: d, photoOfQuery: photoOfQuery)
        XCTAssertEqual(ranks, try XCTUnwrap(ref["ranks"] as? [Int]))
        let metrics = RetrievalMetrics(ranks: ranks, photos: n)
        XCTAssertEqual(metrics.recallAt1, try XCTUnwrap(ref["recall_at_1"] as? Double), accuracy: 1e-9)
        XCTAssertEqual(metrics.recallAt5, try XCTUnwrap(ref["recall_at_5"] as? Double), accuracy: 1e-9)
        XCTAssertEqual(metrics.medianRank, try XCTUnwrap(ref["median_rank"] as? Double), accuracy: 1e-9)
        let predicted = matmul(phi, phi, m: n, n: n, k: d, transposeB: true)
        let ndcg = meanNDCG(predicted: predicted, relevance: relevance, count: n, k: 3)
        XCTAssertEqual(ndcg, try XCTUnwrap(ref["ndcg"] as? Double), accuracy: 1e-5)
    }

    func testUntrainedModelIsTheBridgeAndTheSentenceEmbedding() {
        var fx = JointFixture()
        let bridge = fx.bridge()
        let model = JointModel(parameters: JointParameters(dimension: fx.dimension, featureWidth: fx.featureWidth),
                               bridge: bridge, modelID: "untrained")
        let logits = fx.values(fx.classes, scale: 3), feature = fx.values(fx.featureWidth)
        let s = fx.unitRows(1, fx.dimension)
        let phi = model.embedImage(feature: feature, logits: logits), b = bridge.forward(logits: logits, batch: 1)
        for j in 0..<fx.dimension { XCTAssertEqual(phi[j], b[j], accuracy: 1e-6) }
        let theta = model.embedText(sentenceEmbedding: s)
        for j in 0..<fx.dimension { XCTAssertEqual(theta[j], s[j], accuracy: 1e-6) }
    }

    func testWrongInputSizesAreTypedErrors() {
        var fx = JointFixture()
        let model = JointModel(parameters: JointParameters(dimension: fx.dimension, featureWidth: fx.featureWidth),
                               bridge: fx.bridge(), modelID: "m")
        XCTAssertThrowsError(try model.checkedEmbedImage(feature: [1, 2], logits: fx.values(fx.classes))) { error in
            XCTAssertEqual(error as? JointModelError, .wrongInputSize(what: "backbone feature", expected: fx.featureWidth, actual: 2))
        }
    }
}
