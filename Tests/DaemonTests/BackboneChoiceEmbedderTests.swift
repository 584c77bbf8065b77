import Foundation
import XCTest
import Imaging
import Model
import ModelFormat
import TestSupport
@testable import Daemon

/// photoqd runs the backbone the joint model names (`backbone_file`,
/// `backbone_image_size`), gives its vectors another model id, and refuses a
/// tagger trained on another backbone's features: one forward pass feeds both.
final class BackboneChoiceEmbedderTests: XCTestCase {
    private func modelDirectory(joint changes: [String: String], tagger: String? = nil, reranker: Bool = false) throws -> String {
        let installed = TestEnvironment.modelDirectory
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqbackbone")
        var skipped: Set = [JointModelFiles.joint, ScorerParameters.rerankerFileName, TaggerFile.defaultFileName]
        if reranker { skipped.remove(ScorerParameters.rerankerFileName) }
        for name in try FileManager.default.contentsOfDirectory(atPath: installed) where !skipped.contains(name) {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: installed + "/" + name)
        }
        try WeightFileRewrite.setMetadata(changes, of: try WeightFile(path: installed + "/" + JointModelFiles.joint),
                                          to: dir + "/" + JointModelFiles.joint)
        if let tagger { try FileManager.default.createSymbolicLink(atPath: dir + "/" + TaggerFile.defaultFileName, withDestinationPath: tagger) }
        return dir
    }

    func testTheJointModelsBackboneEmbedsThePhotos() throws {
        try DaemonProcess.requireModels()
        let installed = TestEnvironment.modelDirectory
        guard FileManager.default.fileExists(atPath: installed + "/" + JointModelFiles.joint) else { throw XCTSkip("no trained joint model installed") }
        let lite2 = ModelPaths.backbones["lite2"]!
        _ = try TestEnvironment.model(lite2)
        let dir = try modelDirectory(joint: [BackboneChoice.fileKey: lite2, BackboneChoice.imageSizeKey: "224"])
        let embedder = try ModelEmbedder(modelDirectory: dir, threads: 1)
        let standard = try ModelEmbedder(modelDirectory: try modelDirectory(joint: [:]), threads: 1)
        XCTAssertTrue(embedder.modelID.contains("/efficientnet-lite2@224/"), embedder.modelID)
        XCTAssertTrue(standard.modelID.contains("/efficientnet-lite0/"), standard.modelID)

        let photo = try SamplePhotos.samples().first { $0.hasSuffix("/dog.jpg") }!
        let got = try embedder.embed(imagesAt: [photo])[0].get()
        // The expectation, computed apart from the daemon: Lite2 at 224 px, flip-averaged as the model asks.
        let network = try EfficientNetLite(weights: WeightFile(path: installed + "/" + lite2), imageSize: 224)
        let joint = try JointModel(weights: try WeightFile(path: dir + "/" + JointModelFiles.joint),
                                   bridge: try WeightFile(path: installed + "/" + JointModelFiles.bridge))
        XCTAssertEqual(joint.backbone, BackboneChoice(file: lite2, imageSize: 224))
        let input = try ImageLoader.loadNetworkInput(path: photo, size: 224)
        var out = try network.forward(input, batch: 1)
        if joint.testTimeFlip { out = .averaged(out, mirror: try network.forward(mirroredNetworkInput(input, size: 224), batch: 1)) }
        let expected = try joint.embedImages(out)
        XCTAssertEqual(got.vector.count, expected.count)
        for (a, b) in zip(got.vector, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        let lite0Vector = try standard.embed(imagesAt: [photo])[0].get().vector
        XCTAssertGreaterThan(zip(lite0Vector, expected).map { abs($0 - $1) }.max() ?? 0, 1e-2,
                             "Lite0's vector must differ, or this test cannot tell the backbones apart")
    }

    func testATaggerOfAnotherBackboneIsRefused() throws {
        try DaemonProcess.requireModels()
        let tagger = TestEnvironment.repoRoot + "/Models/optional/tagger.safetensors"
        guard FileManager.default.fileExists(atPath: TestEnvironment.modelDirectory + "/" + JointModelFiles.joint),
              FileManager.default.fileExists(atPath: tagger) else { throw XCTSkip("no trained joint model or tagger") }
        _ = try ModelEmbedder(modelDirectory: try modelDirectory(joint: [:], tagger: tagger), threads: 1)
        let dir = try modelDirectory(joint: [BackboneChoice.fileKey: ModelPaths.backbones["lite1"]!], tagger: tagger)
        XCTAssertThrowsError(try ModelEmbedder(modelDirectory: dir, threads: 1)) { error in
            XCTAssertTrue("\(error)".contains("was trained on efficientnet-lite0.safetensors features"), "\(error)")
        }
        // At 260 px Lite2's head map is 9×9: the reranker's cells cannot be made, so photoqd does not start.
        let reranker = TestEnvironment.modelDirectory + "/" + ScorerParameters.rerankerFileName
        if FileManager.default.fileExists(atPath: reranker) {
            let lite2 = [BackboneChoice.fileKey: ModelPaths.backbones["lite2"]!]
            _ = try ModelEmbedder(modelDirectory: try modelDirectory(joint: lite2), threads: 1)
            XCTAssertThrowsError(try ModelEmbedder(modelDirectory: try modelDirectory(joint: lite2, reranker: true), threads: 1)) { error in
                XCTAssertTrue("\(error)".contains("the reranker's cells: need a 7×7 head map"), "\(error)")
                XCTAssertTrue("\(error)".contains("gives 9×9"), "\(error)")
            }
        }
        let missing = try modelDirectory(joint: [BackboneChoice.fileKey: "efficientnet-lite9.safetensors"])
        XCTAssertThrowsError(try ModelEmbedder(modelDirectory: missing, threads: 1)) { error in
            XCTAssertTrue("\(error)".contains("efficientnet-lite9.safetensors is missing"), "\(error)")
        }
    }
}
