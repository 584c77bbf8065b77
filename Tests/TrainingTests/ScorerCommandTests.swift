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

    /// With --word-alignment the scorer's words carry two more inputs, the
    /// file says so, and eval identify and eval retrieval --rerank read it.
    func testWordAlignmentScorerTrainsAndIsEvaluated() throws {
        let binary = try CommandTestSupport.tool()
        _ = try TestEnvironment.model(ModelPaths.wordVectors)
        _ = try TestEnvironment.model(JointModelFiles.bridge)
        let dir = try TestEnvironment.temporaryDirectory(self)
        let (subset, images, _) = try CommandTestSupport.cocoSubset(6, in: dir)
        let common = ["--captions", subset, "--images", images, "--cache", dir + "/cache", "--threads", "1"]
        let out = dir + "/aligned.safetensors"
        let train = try TestEnvironment.run(binary, ["train", "scorer"] + common + [
            "--word-alignment", "--hard-pool", "3", "--iterations", "20", "--eval-every", "10", "--batch-size", "8",
            "--out", out])
        XCTAssertEqual(train.status, 0, String(decoding: train.stderr, as: UTF8.self))
        XCTAssertTrue(String(decoding: train.stderr, as: UTF8.self).contains("words matched to their WordPiece tokens"))
        let (parameters, metadata) = try ScorerParameters.load(from: out)
        XCTAssertEqual(metadata["word_alignment"], "true")
        XCTAssertEqual(metadata["hard_pool"], "3")
        XCTAssertEqual(parameters.shape.wordDimension, ScorerShape().wordDimension + WordAlignmentInputs.count)

        let identify = try TestEnvironment.run(binary, ["eval", "identify"] + common + ["--scorer", out, "--json"])
        XCTAssertEqual(identify.status, 0, String(decoding: identify.stderr, as: UTF8.self))
        let retrieval = try TestEnvironment.run(binary, ["eval", "retrieval"] + common + [
            "--rerank", "3", "--scorer", out, "--json"])
        XCTAssertEqual(retrieval.status, 0, String(decoding: retrieval.stderr, as: UTF8.self))
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: retrieval.stdout) as? [String: Any])
        XCTAssertTrue((0...1).contains(try XCTUnwrap(report["recall_at_1"] as? Double)))

        let threeWay = try TestEnvironment.run(binary, ["eval", "retrieval"] + common + [
            "--rerank", "3", "--scorer", out, "--joint-weight", "100", "--alignment-weight", "50", "--json"])
        XCTAssertEqual(threeWay.status, 0, String(decoding: threeWay.stderr, as: UTF8.self))
        let noRerank = try TestEnvironment.run(binary, ["eval", "retrieval"] + common + ["--alignment-weight", "50"])
        XCTAssertNotEqual(noRerank.status, 0, "--alignment-weight without --rerank is a usage error")

        let alignment = try TestEnvironment.run(binary, ["eval", "alignment"] + common + ["--top-k", "3", "--weights", "0", "1"])
        XCTAssertEqual(alignment.status, 0, String(decoding: alignment.stderr, as: UTF8.self))
        let lines = String(decoding: alignment.stdout, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("K   3") }.count, 2)
        // Weight 0 leaves the joint order: its recalls are the joint space's.
        let joint = try XCTUnwrap(lines.first { $0.hasPrefix("joint alone") })
        let unweighted = try XCTUnwrap(lines.first { $0.hasPrefix("K   3  w  0.00") })
        XCTAssertEqual(joint.split(separator: " ", omittingEmptySubsequences: true).suffix(6),
                       unweighted.split(separator: " ", omittingEmptySubsequences: true).suffix(6))

        let compact = try TestEnvironment.run(binary, ["eval", "alignment"] + common + [
            "--top-k", "3", "--weights", "1", "--cell-basis", "8", "--basis-captions", subset, "--basis-images", images])
        XCTAssertEqual(compact.status, 0, String(decoding: compact.stderr, as: UTF8.self))
        let compactOutput = String(decoding: compact.stdout, as: UTF8.self)
        XCTAssertTrue(compactOutput.contains("rank-8 basis fitted on 6 photos: \(12 * 49) bytes per photo"), compactOutput)
        XCTAssertEqual(compactOutput.split(separator: "\n").filter { $0.contains(" r8 ") }.count, 1)
        let unfitted = try TestEnvironment.run(binary, ["eval", "alignment"] + common + ["--cell-basis", "8"])
        XCTAssertNotEqual(unfitted.status, 0, "a basis needs photos to be fitted on")
    }
}
