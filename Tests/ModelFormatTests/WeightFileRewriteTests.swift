import Foundation
import TestSupport
import XCTest
@testable import ModelFormat

final class WeightFileRewriteTests: XCTestCase {
    func testMetadataChangesAndTensorsStay() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "rewrite")
        var writer = WeightFileWriter(metadata: ["model_id": "m1", "kept": "yes"])
        writer.add("b.weight", shape: [2, 3], values: [1, -2, 3.5, 4, 5, 6])
        writer.add("a.ids", shape: [3], int32s: [7, -8, 9])
        let path = dir + "/m.safetensors"
        try writer.write(to: path)
        let original = try WeightFile(path: path)
        try WeightFileRewrite.setMetadata(["relevance_cutoff": "0.1757", "model_id": "m2"], of: original, to: path + ".new")
        let changed = try WeightFile(path: path + ".new")
        XCTAssertEqual(changed.metadata["relevance_cutoff"], "0.1757")
        XCTAssertEqual(changed.metadata["model_id"], "m2")
        XCTAssertEqual(changed.metadata["kept"], "yes")
        XCTAssertEqual(try changed.floats("b.weight", shape: [2, 3]).toArray(), [1, -2, 3.5, 4, 5, 6])
        XCTAssertEqual(try changed.int32s("a.ids").values, [7, -8, 9])
        // The same input gives the same bytes, so make-model stays reproducible.
        try WeightFileRewrite.setMetadata(["relevance_cutoff": "0.1757", "model_id": "m2"], of: original, to: path + ".again")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path + ".new")),
                       try Data(contentsOf: URL(fileURLWithPath: path + ".again")))
        // In place: the file may be rewritten over itself.
        try WeightFileRewrite.setMetadata(["relevance_cutoff": "0.2"], of: original, to: path)
        XCTAssertEqual(try WeightFile(path: path).metadata["relevance_cutoff"], "0.2")
        XCTAssertEqual(try WeightFile(path: path).floats("b.weight").toArray(), [1, -2, 3.5, 4, 5, 6])
    }
}
