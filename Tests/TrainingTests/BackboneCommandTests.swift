import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// `train embed --backbone lite1` records the backbone in the joint file, and
/// `eval retrieval` then runs that backbone without being told.
final class BackboneCommandTests: XCTestCase {
    private func cachedBackbones(_ cache: String) throws -> Set<String> {
        var ids: Set<String> = []
        for name in try FileManager.default.contentsOfDirectory(atPath: cache) where name.hasPrefix("images-") && name.hasSuffix(".safetensors") {
            if let id = try WeightFile(path: cache + "/" + name, requirePhotoqFormat: false).metadata["backbone_id"] { ids.insert(id) }
        }
        return ids
    }

    func testTheTrainedBackboneIsRecordedAndEvaluatedWith() throws {
        let binary = try CommandTestSupport.tool()
        _ = try TestEnvironment.model(JointModelFiles.bridge)
        _ = try TestEnvironment.model(ModelPaths.backbones["lite1"]!)
        let dir = try TestEnvironment.temporaryDirectory(self)
        let (subset, images, _) = try CommandTestSupport.cocoSubset(4, in: dir)
        func common(_ cache: String) -> [String] { ["--captions", subset, "--images", images, "--cache", cache, "--threads", "1"] }

        let model = dir + "/joint-lite1.safetensors"
        let train = try TestEnvironment.run(binary, ["train", "embed"] + common(dir + "/train-cache")
                                            + ["--backbone", "lite1", "--epochs", "1", "--batch-size", "4", "--out", model])
        XCTAssertEqual(train.status, 0, String(decoding: train.stderr, as: UTF8.self))
        let metadata = try WeightFile(path: model).metadata
        XCTAssertEqual(metadata[BackboneChoice.fileKey], "efficientnet-lite1.safetensors")
        XCTAssertNil(metadata[BackboneChoice.imageSizeKey], "Lite1 ran at its own size")

        let evalCache = dir + "/eval-cache"
        let eval = try TestEnvironment.run(binary, ["eval", "retrieval"] + common(evalCache) + ["--model", model, "--no-rerank", "--json"])
        XCTAssertEqual(eval.status, 0, String(decoding: eval.stderr, as: UTF8.self))
        let ids = try cachedBackbones(evalCache)
        XCTAssertEqual(ids.count, 1, "\(ids)")
        XCTAssertTrue(ids.first?.hasPrefix("efficientnet-lite1#") == true && ids.first?.hasSuffix("@240") == true, "\(ids)")

        let small = dir + "/joint-lite1-224.safetensors"
        let train224 = try TestEnvironment.run(binary, ["train", "embed"] + common(dir + "/train-cache")
                                               + ["--backbone", "lite1", "--backbone-size", "224", "--epochs", "1",
                                                  "--batch-size", "4", "--out", small])
        XCTAssertEqual(train224.status, 0, String(decoding: train224.stderr, as: UTF8.self))
        XCTAssertEqual(try WeightFile(path: small).metadata[BackboneChoice.imageSizeKey], "224")

        let bad = try TestEnvironment.run(binary, ["eval", "retrieval"] + common(evalCache) + ["--model", model, "--backbone", "lite9"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(String(decoding: bad.stderr, as: UTF8.self).contains("--backbone must be one of lite0, lite1, lite2"))
    }
}
