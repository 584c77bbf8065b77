import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// End to end through the built `photoq-model`: train scorer, then eval
/// identify on the same few COCO photos (skips locally without the models
/// and the release build; fails under scripts/test).
final class ScorerCommandTests: XCTestCase {
    func testTrainScorerWritesAModelThatEvalIdentifyReads() throws {
        let binary = try CommandTestSupport.tool()
        _ = try TestEnvironment.model(ModelPaths.wordVectors)
        _ = try TestEnvironment.model(JointModelFiles.bridge)
        let dir = try TestEnvironment.temporaryDirectory(self)
        let (subset, images, captionCount) = try CommandTestSupport.cocoSubset(6, in: dir)
        let common = ["--captions", subset, "--images", images, "--cache", dir + "/cache", "--threads", "1"]

        let out = dir + "/scorer.safetensors"
        let train = try TestEnvironment.run(binary, ["train", "scorer"] + common + [
            "--iterations", "30", "--eval-every", "10", "--batch-size", "8", "--seed", "4", "--out", out])
        XCTAssertEqual(train.status, 0, String(decoding: train.stderr, as: UTF8.self))
        let (parameters, metadata) = try ScorerParameters.load(from: out)
        XCTAssertEqual(metadata["seed"], "4")
        XCTAssertEqual(metadata["iterations"], "30")
        XCTAssertEqual(metadata["training_photos"], "6")
        XCTAssertEqual(parameters.shape, ScorerShape())

        let eval = try TestEnvironment.run(binary, ["eval", "identify"] + common + ["--scorer", out, "--method", "lstm", "--json"])
        XCTAssertEqual(eval.status, 0, String(decoding: eval.stderr, as: UTF8.self))
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: eval.stdout) as? [String: Any])
        XCTAssertEqual(report["version"] as? Int, 1)
        XCTAssertEqual(report["pairs"] as? Int, captionCount)
        let accuracy = try XCTUnwrap(report["accuracy"] as? Double)
        XCTAssertTrue((0...1).contains(accuracy))
        XCTAssertTrue(report.keys.contains("accuracy_hard"))

        let missing = try TestEnvironment.run(binary, ["eval", "identify"] + common + ["--scorer", dir + "/nope.safetensors"])
        XCTAssertNotEqual(missing.status, 0, "a missing scorer file is an error")
        XCTAssertFalse(missing.stderr.isEmpty)
    }
}
