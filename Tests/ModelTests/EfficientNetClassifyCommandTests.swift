import Foundation
import TestSupport
import XCTest

/// `photoq-model classify` end to end, on the release binary scripts/test builds.
final class EfficientNetClassifyCommandTests: XCTestCase {
    private func tool() throws -> String {
        let path = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            let message = "\(path) is missing (swift build -c release, or set PHOTOQ_BIN_DIR)"
            if TestEnvironment.requireAssets { XCTFail(message) }
            throw XCTSkip(message)
        }
        return path
    }

    func testJSONListsDogFirstAndReportsBadFilesWithoutStopping() throws {
        let exe = try tool()
        _ = try TestEnvironment.model("efficientnet-lite0.safetensors")
        let dog = try TestEnvironment.data("samples/dog.jpg")
        let directory = try TestEnvironment.temporaryDirectory(self)
        let text = directory + "/x.jpg"
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: text))
        let truncated = directory + "/truncated.jpg"
        try Data(try Data(contentsOf: URL(fileURLWithPath: dog)).prefix(4000)).write(to: URL(fileURLWithPath: truncated))

        let result = try TestEnvironment.run(exe, ["classify", "--json", text, dog, truncated])
        XCTAssertNotEqual(result.status, 0, "a failed photo must make the exit status non-zero")
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        XCTAssertEqual(document["version"] as? Int, 1)
        let results = try XCTUnwrap(document["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["file"] as? String }, [text, dog, truncated])
        XCTAssertNotNil(results[0]["error"] as? String)
        XCTAssertNotNil(results[2]["error"] as? String)
        let top = try XCTUnwrap(results[1]["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 5)
        let first = try XCTUnwrap(top.first?["class_index"] as? Int)
        XCTAssertTrue((151...268).contains(first), "dog.jpg came out as class \(first) (\(top.first?["label"] ?? ""))")
        let probabilities = top.compactMap { $0["probability"] as? Double }
        XCTAssertEqual(probabilities, probabilities.sorted(by: >))
    }

    func testTextModePrintsErrorsOnStandardError() throws {
        let exe = try tool()
        _ = try TestEnvironment.model("efficientnet-lite0.safetensors")
        let directory = try TestEnvironment.temporaryDirectory(self)
        let text = directory + "/x.jpg"
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: text))
        let result = try TestEnvironment.run(exe, ["classify", text])
        XCTAssertNotEqual(result.status, 0)
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        XCTAssertTrue(stderr.contains(text) && stderr.contains("not an image photoq can read"), stderr)
    }
}
