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
        // The shipped tagger, else the optional one.
        let shipped = TestEnvironment.repoRoot + "/Models/default/" + TaggerFile.defaultFileName
        let taggerPath = FileManager.default.fileExists(atPath: shipped) ? shipped : TestEnvironment.repoRoot + "/Models/optional/" + TaggerFile.defaultFileName
        guard FileManager.default.fileExists(atPath: taggerPath) else {
            if TestEnvironment.requireAssets { XCTFail("no \(taggerPath)") }
            throw XCTSkip("no \(taggerPath) (scripts/make-tagger)")
        }
        let backbone = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbone)))
        let photo = try TestEnvironment.data("samples/dog.jpg")
        let input = try ImageLoader.loadNetworkInput(path: photo, size: EfficientNetLite.gridInputSize, transform: .squash)
        let file = try TaggerFile.load(from: taggerPath)
        let grid = file.parameters.shape.cells > 1
        let out = try backbone.forward(input, batch: 1, workspace: EfficientNetWorkspace(), keepGrid: grid)
        // A grid-attended ranker reads the head map (K,F), others the pooled feature.
        let feature = grid ? Array(try XCTUnwrap(out.grid(of: 0))) : Array(out.features(of: 0))

        let stored = try Tagger(file: file).tags(feature: feature)
        XCTAssertEqual(stored.first?.tag, "dog", "\(stored)")
        let ranking = try file.parameters.rank(features: feature, count: 1, k: 10, fill: .continueDecoding)[0].map { file.tags[$0] }
        let dog = try XCTUnwrap(ranking.firstIndex(of: "dog"), "\(ranking)")
        for bicycle in ["bicycle", "bike"] {
            if let position = ranking.firstIndex(of: bicycle) { XCTAssertLessThan(dog, position, "\(ranking)") }
        }
    }
}
