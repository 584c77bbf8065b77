import Foundation
import TestSupport
import XCTest

/// What the photoq-model command tests share: the release binary and a
/// small COCO-format subset of the real captioned photos.
enum CommandTestSupport {
    /// The release `photoq-model`, or a skip (a failure under scripts/test).
    static func tool() throws -> String {
        let binary = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            if TestEnvironment.requireAssets { XCTFail("no \(binary)") }
            throw XCTSkip("no release build at \(binary)")
        }
        return binary
    }

    /// Writes the first `count` COCO photos' captions to `directory`/captions.json.
    /// Returns that file, the image folder and the number of captions.
    static func cocoSubset(_ count: Int, in directory: String) throws -> (captions: String, images: String, captionCount: Int) {
        let captions = try TestEnvironment.data("coco-val2017/captions.json")
        let images = try TestEnvironment.data("coco-val2017/images")
        let all = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: captions))) as? [String: Any])
        let photos = Array(try XCTUnwrap(all["images"] as? [[String: Any]]).prefix(count))
        let ids = Set(photos.compactMap { $0["id"] as? Int })
        let annotations = try XCTUnwrap(all["annotations"] as? [[String: Any]]).filter { ids.contains($0["image_id"] as? Int ?? -1) }
        let subset = directory + "/captions.json"
        try JSONSerialization.data(withJSONObject: ["images": photos, "annotations": annotations]).write(to: URL(fileURLWithPath: subset))
        return (subset, images, annotations.count)
    }
}
