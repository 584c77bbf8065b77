import Foundation
import Imaging
import Model
import ModelFormat
import TestSupport
import XCTest

/// The shipped tagger on a real photo: samples/dog.jpg (a dog sitting in
/// front of a bicycle) is about the dog first.
final class TagModelTests: XCTestCase {
    func testDogBeforeBicycleOnTheSamplePhoto() throws {
        let taggerPath = TestEnvironment.repoRoot + "/Models/optional/" + TaggerFile.defaultFileName
        guard FileManager.default.fileExists(atPath: taggerPath) else {
            if TestEnvironment.requireAssets { XCTFail("no \(taggerPath)") }
            throw XCTSkip("no \(taggerPath) (scripts/make-tagger)")
        }
        let backbone = try EfficientNetLite0(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbone)))
        let photo = try TestEnvironment.data("samples/dog.jpg")
        let input = try ImageLoader.loadNetworkInput(path: photo, size: EfficientNetLite0.imageSize, transform: .squash)
        let feature = Array(try backbone.forward(input, batch: 1, workspace: EfficientNetWorkspace()).features(of: 0))
        let file = try TaggerFile.load(from: taggerPath)

        let stored = try Tagger(file: file).tags(feature: feature)
        XCTAssertEqual(stored.first?.tag, "dog", "\(stored)")
        let ranking = try file.parameters.rank(features: feature, count: 1, k: 10, fill: .continueDecoding)[0].map { file.tags[$0] }
        let dog = try XCTUnwrap(ranking.firstIndex(of: "dog"), "\(ranking)")
        for bicycle in ["bicycle", "bike"] {
            if let position = ranking.firstIndex(of: bicycle) { XCTAssertLessThan(dog, position, "\(ranking)") }
        }
    }
}
