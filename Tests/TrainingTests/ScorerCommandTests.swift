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
        let binary = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            if TestEnvironment.requireAssets { XCTFail("no \(binary)") }
            throw XCTSkip("no release build at \(binary)")
        }
        _ = try TestEnvironment.model(ModelPaths.wordVectors)
        _ = try TestEnvironment.model(JointModelFiles.bridge)
        let captions = try TestEnvironment.data("coco-val2017/captions.json")
        let images = try TestEnvironment.data("coco-val2017/images")

        // A six-photo COCO-format subset.
        let all = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: captions))) as? [String: Any])
        let photos = Array(try XCTUnwrap(all["images"] as? [[String: Any]]).prefix(6))
        let ids = Set(photos.compactMap { $0["id"] as? Int })
        let annotations = try XCTUnwrap(all["annotations"] as? [[String: Any]]).filter { ids.contains($0["image_id"] as? Int ?? -1) }
        let dir = try TestEnvironment.temporaryDirectory(self)
        let subset = dir + "/captions.json"
        try JSONSerialization.data(withJSONObject: ["images": photos, "annotations": annotations]).write(to: URL(fileURLWithPath: subset))
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
        XCTAssertEqual(report["pairs"] as? Int, annotations.count)
        let accuracy = try XCTUnwrap(report["accuracy"] as? Double)
        XCTAssertTrue((0...1).contains(accuracy))
        XCTAssertTrue(report.keys.contains("accuracy_hard"))

        let missing = try TestEnvironment.run(binary, ["eval", "identify"] + common + ["--scorer", dir + "/nope.safetensors"])
        XCTAssertNotEqual(missing.status, 0, "a missing scorer file is an error")
        XCTAssertFalse(missing.stderr.isEmpty)
    }
}
