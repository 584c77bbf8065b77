import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The backbone a model file names: Lite0 when it names none, so files from
/// before Lite1/Lite2 read as they always did; bad names and sizes are errors.
final class BackboneChoiceTests: XCTestCase {
    func testMetadataRoundTripsAndDefaultsToLite0() throws {
        XCTAssertEqual(try BackboneChoice(metadata: [:], path: "m"), .standard)
        XCTAssertEqual(BackboneChoice.standard.file, ModelPaths.backbone)
        let lite2 = try BackboneChoice(metadata: ["backbone_file": "efficientnet-lite2.safetensors", "backbone_image_size": "224"],
                                       path: "m")
        XCTAssertEqual(lite2, BackboneChoice(file: "efficientnet-lite2.safetensors", imageSize: 224))
        XCTAssertNotEqual(lite2, BackboneChoice(file: "efficientnet-lite2.safetensors"))
        XCTAssertEqual("\(lite2)", "efficientnet-lite2.safetensors at 224 px")
    }

    func testBadFileNamesAndSizesAreRejected() {
        for metadata in [["backbone_file": "../elsewhere.safetensors"], ["backbone_file": ""], ["backbone_file": ".."],
                         ["backbone_image_size": "big"], ["backbone_image_size": "0"], ["backbone_image_size": "5000"]] {
            XCTAssertThrowsError(try BackboneChoice(metadata: metadata, path: "model.safetensors"), "\(metadata)") { error in
                XCTAssertTrue("\(error)".contains("model.safetensors"), "\(error)")
            }
        }
    }

    /// What training records reads back as the network it was trained on.
    func testRecordedMetadataLoadsTheSameNetwork() throws {
        let lite0 = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(ModelPaths.backbone)))
        XCTAssertEqual(BackboneChoice.metadata(file: ModelPaths.backbone, network: lite0, sizeOverridden: false), [:])
        let file = ModelPaths.backbones["lite2"]!
        let lite2 = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model(file)), imageSize: 224)
        let recorded = BackboneChoice.metadata(file: file, network: lite2, sizeOverridden: true)
        XCTAssertEqual(recorded, ["backbone_file": file, "backbone_image_size": "224"])
        let loaded = try BackboneChoice(metadata: recorded, path: "m").load(modelDirectory: TestEnvironment.modelDirectory)
        XCTAssertEqual(loaded.name, "efficientnet-lite2")
        XCTAssertEqual(loaded.imageSize, 224)
        XCTAssertEqual(loaded.headSide, 7)
        XCTAssertEqual(loaded.blocks.count, 21)
    }
}
