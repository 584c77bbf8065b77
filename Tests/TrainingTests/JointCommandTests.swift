import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// End to end through the built `photoq-model`: train embed and eval
/// retrieval on four real COCO photos (needs the converted models, the
/// bridge and the release build; skips locally without them).
final class JointCommandTests: XCTestCase {
    func testTrainEmbedThenEvalRetrievalJSON() throws {
        let binary = try CommandTestSupport.tool()
        _ = try TestEnvironment.model(JointModelFiles.bridge)
        _ = try TestEnvironment.model(ModelPaths.backbone)
        let dir = try TestEnvironment.temporaryDirectory(self)
        let (subset, images, captionCount) = try CommandTestSupport.cocoSubset(4, in: dir)
        let common = ["--captions", subset, "--images", images, "--cache", dir + "/cache", "--threads", "1"]

        let model = dir + "/joint.safetensors"
        let train = try TestEnvironment.run(binary, ["train", "embed"] + common + ["--epochs", "1", "--batch-size", "4",
                                                                                   "--seed", "3", "--out", model])
        XCTAssertEqual(train.status, 0, String(decoding: train.stderr, as: UTF8.self))
        let weights = try WeightFile(path: model)
        XCTAssertEqual(weights.metadata["seed"], "3")
        XCTAssertEqual(weights.metadata["training_photos"], "4")

        let eval = try TestEnvironment.run(binary, ["eval", "retrieval"] + common + ["--model", model, "--json"])
        XCTAssertEqual(eval.status, 0, String(decoding: eval.stderr, as: UTF8.self))
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: eval.stdout) as? [String: Any])
        XCTAssertEqual(report["version"] as? Int, 1)
        XCTAssertEqual(report["photos"] as? Int, 4)
        XCTAssertEqual(report["queries"] as? Int, captionCount)
        for key in ["recall_at_1", "recall_at_5", "recall_at_10"] {
            let value = try XCTUnwrap(report[key] as? Double, key)
            XCTAssertTrue((0...1).contains(value), key)
        }
        // With four photos every query's photo is in the top 5.
        XCTAssertEqual(report["recall_at_5"] as? Double, 1)
        let medianRank = try XCTUnwrap(report["median_rank"] as? Double)
        XCTAssertTrue((1...4).contains(medianRank))

        // --rerank K: reordering only the top 1, or with an overwhelming joint
        // weight, changes nothing; an overwhelming negative weight reverses
        // the top 4 and must move R@1.
        _ = try TestEnvironment.model(ModelPaths.wordVectors)
        func reranked(_ k: Int, weight: Float) throws -> [String: Any] {
            let scorer = dir + "/scorer-\(k)-\(weight).safetensors"
            try ScorerParameters(shape: ScorerShape(), seed: 5).save(
                to: scorer, modelID: "test", vocabularyID: "test",
                extraMetadata: ScorerRerankPolicy(enabled: true, topK: k, jointWeight: weight).metadata)
            let r = try TestEnvironment.run(binary, ["eval", "retrieval"] + common
                                            + ["--model", model, "--rerank", String(k), "--scorer", scorer, "--json"])
            XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
            return try XCTUnwrap(JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        }
        for (k, weight) in [(1, Float(0)), (4, Float(1e5))] {
            let same = try reranked(k, weight: weight)
            for key in ["recall_at_1", "recall_at_5", "median_rank"] {
                XCTAssertEqual(same[key] as? Double, report[key] as? Double, "\(key) with --rerank \(k), weight \(weight)")
            }
        }
        let reversed = try reranked(4, weight: -1e5)
        XCTAssertNotEqual(reversed["recall_at_1"] as? Double, report["recall_at_1"] as? Double)
        XCTAssertEqual(reversed["recall_at_5"] as? Double, 1, "reranking only reorders the top K")

        let usage = try TestEnvironment.run(binary, ["eval", "retrieval"] + common + ["--bridge-only", "--random"])
        XCTAssertEqual(usage.status, 64, "conflicting flags are a usage error")
    }
}
