import Foundation
import Imaging
import TestSupport
import XCTest

/// `photoq-model explain` and `eval pointing` end to end, on a synthetic
/// photo whose answer is known: the dog photo pasted into the top-left corner
/// of a flat grey canvas.
final class SaliencyCommandTests: XCTestCase {
    private func tool() throws -> String {
        let path = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            let message = "\(path) is missing (swift build -c release)"
            if TestEnvironment.requireAssets { XCTFail(message) }
            throw XCTSkip(message)
        }
        _ = try TestEnvironment.model("efficientnet-lite0.safetensors")
        return path
    }

    /// A 500×300 canvas with the dog (200×150) in its top-left corner, as JPEG.
    private func pastedCanvas(in dir: String) throws -> String {
        let dog = try JPEGDecoder().decode(path: TestEnvironment.data("samples/dog.jpg")).image
        let small = resize(dog, width: 200, height: 150)
        var canvas = RGBImage(width: 500, height: 300, fill: (128, 128, 128))
        for y in 0..<150 { for x in 0..<200 { canvas[x, y] = small[x, y] } }
        let path = dir + "/canvas.jpg"
        try Data(JPEGEncoder.encode(canvas)).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func json(_ data: Data) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testExplainJSONPointsAtThePastedPhoto() throws {
        let exe = try tool()
        let dir = try TestEnvironment.temporaryDirectory(self)
        let image = try pastedCanvas(in: dir)
        let out = dir + "/heat.png"
        let result = try TestEnvironment.run(exe, ["explain", image, "--target", "class", "--json", "--out", out])
        XCTAssertEqual(result.status, 0, String(decoding: result.stderr, as: UTF8.self))
        let object = try json(result.stdout)
        XCTAssertEqual(object["version"] as? Int, 1)
        let peak = try XCTUnwrap(object["peak"] as? [String: Int])
        XCTAssertLessThan(try XCTUnwrap(peak["x"]), 200 + 15)
        XCTAssertLessThan(try XCTUnwrap(peak["y"]), 150 + 15)
        let grid = try XCTUnwrap(object["grid"] as? [String: Any])
        let rows = try XCTUnwrap(grid["values"] as? [[Double]])
        XCTAssertEqual(rows.count, grid["height"] as? Int)
        XCTAssertEqual(rows.first?.count, grid["width"] as? Int)
        // The written heat map is a PNG of the photo's size.
        let png = try Data(contentsOf: URL(fileURLWithPath: out))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
    }

    func testPlainOutputHasNoColourThroughAPipe() throws {
        let exe = try tool()
        let dir = try TestEnvironment.temporaryDirectory(self)
        let image = try pastedCanvas(in: dir)
        let result = try TestEnvironment.run(exe, ["explain", image, "--target", "class", "--out", dir + "/h.jpg"])
        XCTAssertEqual(result.status, 0)
        let text = String(decoding: result.stdout, as: UTF8.self)
        XCTAssertFalse(text.contains("\u{1B}["))
        XCTAssertTrue(text.contains("Saved the picture to " + dir + "/h.jpg"), text)
    }

    /// Two queries on the canvas: the dog's box (top-left) and a box in the
    /// bottom-right corner. Whatever is asked, the class target points at the
    /// dog, so every saliency method scores 1 of 2; the centre is far from both.
    func testPointingGameJSON() throws {
        let exe = try tool()
        let dir = try TestEnvironment.temporaryDirectory(self)
        _ = try pastedCanvas(in: dir)
        let instances: [String: Any] = [
            "images": [["id": 1, "file_name": "canvas.jpg", "width": 500, "height": 300]],
            "annotations": [["image_id": 1, "category_id": 18, "bbox": [0, 0, 200, 150]],
                            ["image_id": 1, "category_id": 3, "bbox": [400, 220, 100, 80]]],
            "categories": [["id": 18, "name": "dog"], ["id": 3, "name": "car"]],
        ]
        let path = dir + "/instances.json"
        try JSONSerialization.data(withJSONObject: instances).write(to: URL(fileURLWithPath: path))
        let result = try TestEnvironment.run(exe, ["eval", "pointing", "--instances", path, "--images", dir,
                                                   "--target", "class", "--method", "eb", "--json"])
        XCTAssertEqual(result.status, 0, String(decoding: result.stderr, as: UTF8.self))
        let object = try json(result.stdout)
        XCTAssertEqual(object["version"] as? Int, 1)
        XCTAssertEqual(object["queries"] as? Int, 2)
        XCTAssertEqual(try XCTUnwrap(object["accuracy"] as? Double), 0.5, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(object["baseline_center"] as? Double), 0, accuracy: 1e-9)
        let methods = try XCTUnwrap(object["methods"] as? [String: Double])
        // Grad-CAM and the cells need the joint space: the class target has the others.
        XCTAssertEqual(Set(methods.keys), ["eb", "cmwp", "gradient", "centre"])
        XCTAssertEqual(methods["centre"] ?? -1, 0, accuracy: 1e-9)
        // One hit (dog) and one miss (car) in two categories: both means are 1/2.
        XCTAssertEqual(try XCTUnwrap(object["accuracy_per_category"] as? Double), 0.5, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(object["stderr"] as? Double), (0.25 / 2).squareRoot(), accuracy: 1e-9)
        XCTAssertEqual(object["categories"] as? Int, 2)
        // Each query's outcome for the reported method: the dog found, the car not.
        let perQuery = try XCTUnwrap(object["per_query"] as? [[String: Any]])
        XCTAssertEqual(perQuery.count, 2)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: perQuery.map { ($0["category"] as? String ?? "", $0["hit"] as? Bool) }),
                       ["dog": true, "car": false])
        XCTAssertTrue(perQuery.allSatisfy { $0["file"] as? String == "canvas.jpg" && $0["peak"] is [String: Int] })

        // The joint-space default on the class target is refused as a usage error.
        let refused = try TestEnvironment.run(exe, ["eval", "pointing", "--instances", path, "--images", dir,
                                                    "--target", "class", "--method", "cells"])
        XCTAssertEqual(refused.status, 64)
    }
}
