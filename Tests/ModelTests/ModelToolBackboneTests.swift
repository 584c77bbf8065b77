import Foundation
import TestSupport
import XCTest

/// `bench backbone --backbone lite2` measures Lite2 at its own input size, on
/// photoq's side and through ONNX Runtime (built from the file's block table);
/// `classify --backbone` runs the one asked for.
final class ModelToolBackboneTests: XCTestCase {
    func testEachOfferedBackboneIsBenchmarkedAtItsOwnSize() throws {
        let tool = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("\(tool) is not built") }
        _ = try TestEnvironment.model("efficientnet-lite2.safetensors")
        let samples = try TestEnvironment.data("samples")
        let r = try TestEnvironment.run(tool, ["bench", "backbone", "--backbone", "lite2", "--images", samples, "--limit", "2",
                                               "--repeats", "1", "--threads", "1", "--json"])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        XCTAssertEqual(json["backbone"] as? String, "efficientnet-lite2")
        XCTAssertEqual(json["image_size"] as? Int, 260)
        XCTAssertNil(json["onnxruntime_error"] as? String, "\(json["onnxruntime_error"] ?? "")")
        let onnx = try XCTUnwrap(json["onnxruntime"] as? [String: Any])
        XCTAssertGreaterThan(onnx["network_ms_per_photo"] as? Double ?? 0, 0)
        let ratio = try XCTUnwrap(json["ratio_end_to_end_1_thread"] as? Double)
        XCTAssertGreaterThan(ratio, 0)
        XCTAssertNil(json["ratio_end_to_end_2_threads"] as? Double, "two threads were not measured")

        let bad = try TestEnvironment.run(tool, ["bench", "backbone", "--backbone", "lite9", "--skip-onnx"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(String(decoding: bad.stderr, as: UTF8.self).contains("lite0, lite1, lite2"))
    }

    func testClassifyRunsTheBackboneAskedFor() throws {
        let tool = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("\(tool) is not built") }
        _ = try TestEnvironment.model("efficientnet-lite2.safetensors")
        let dog = try TestEnvironment.data("samples/dog.jpg")
        struct Report: Decodable {
            struct Result: Decodable { struct Class: Decodable { let class_index: Int; let probability: Double }; let top: [Class]? }
            let results: [Result]
        }
        var probabilities: [String: Double] = [:]
        for backbone in ["lite0", "lite2"] {
            let r = try TestEnvironment.run(tool, ["classify", "--backbone", backbone, "--top", "1", "--json", dog])
            XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
            let top = try XCTUnwrap(try JSONDecoder().decode(Report.self, from: r.stdout).results.first?.top?.first)
            XCTAssertTrue((151...268).contains(top.class_index), "\(backbone): dog.jpg is class \(top.class_index)")
            probabilities[backbone] = top.probability
        }
        XCTAssertNotEqual(probabilities["lite0"], probabilities["lite2"], "both runs gave the same network's output")
        let bad = try TestEnvironment.run(tool, ["classify", "--backbone", "lite3", dog])
        XCTAssertNotEqual(bad.status, 0)
    }
}
