import Foundation
import XCTest
import Imaging
import Model
import ModelFormat
import TestSupport
@testable import Daemon

/// A joint model trained on flip-averaged features (`test_time_flip`) is
/// indexed the same way: the daemon's vector is the joint embedding of the
/// mean of the photo's and its mirror image's backbone outputs, while the
/// stored feature stays the photo's own.
final class FlipAveragingTests: XCTestCase {
    func testAFlipModelEmbedsEachPhotoWithItsMirrorImage() throws {
        try DaemonProcess.requireModels()
        let installed = TestEnvironment.modelDirectory
        let jointPath = installed + "/" + JointModelFiles.joint
        guard FileManager.default.fileExists(atPath: jointPath) else { throw XCTSkip("no trained joint model installed") }
        let installedFile = try WeightFile(path: jointPath)

        // Two model directories with the installed weights: one whose joint
        // model asks for flip averaging, one whose model does not.
        func directory(flip: Bool) throws -> String {
            let dir = try TestEnvironment.temporaryDirectory(self, prefix: flip ? "pqflip" : "pqplain")
            for name in try FileManager.default.contentsOfDirectory(atPath: installed) where name != JointModelFiles.joint {
                try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: installed + "/" + name)
            }
            try WeightFileRewrite.setMetadata([JointModel.testTimeFlipKey: flip ? "true" : "false"], of: installedFile,
                                              to: dir + "/" + JointModelFiles.joint)
            return dir
        }
        let dir = try directory(flip: true), plainDir = try directory(flip: false)

        let photo = try SamplePhotos.samples().first { $0.hasSuffix("/dog.jpg") }!
        let flip = try ModelEmbedder(modelDirectory: dir, threads: 1)
        let plain = try ModelEmbedder(modelDirectory: plainDir, threads: 1)
        XCTAssertTrue(flip.modelID.contains("+flip"), flip.modelID)
        XCTAssertNotEqual(flip.modelID, plain.modelID, "a flip model's vectors must not be mixed with a plain model's")
        let flipped = try flip.embed(imagesAt: [photo])[0].get()
        let unflipped = try plain.embed(imagesAt: [photo])[0].get()

        // The expectation, computed apart from the daemon.
        let network = try EfficientNetLite(modelDirectory: installed)
        let joint = try JointModel(weights: try WeightFile(path: dir + "/" + JointModelFiles.joint),
                                   bridge: try WeightFile(path: installed + "/" + JointModelFiles.bridge))
        XCTAssertTrue(joint.testTimeFlip)
        let input = try ImageLoader.loadNetworkInput(path: photo, size: EfficientNetLite.gridInputSize)
        let own = try network.forward(input, batch: 1)
        let mirror = try network.forward(mirroredNetworkInput(input, size: EfficientNetLite.gridInputSize), batch: 1)
        let expected = try joint.embedImages(.averaged(own, mirror: mirror))
        let ownOnly = try joint.embedImages(own)

        XCTAssertEqual(flipped.vector.count, expected.count)
        for (a, b) in zip(flipped.vector, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        XCTAssertGreaterThan(zip(expected, ownOnly).map { abs($0 - $1) }.max() ?? 0, 1e-3,
                             "the mirror must change the vector, or this test cannot tell the two apart")
        for (a, b) in zip(unflipped.vector, ownOnly) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        // The stored feature is the photo's own, as the tagger and scorer were trained on.
        XCTAssertEqual(flipped.feature.count, own.features.count)
        for (a, b) in zip(flipped.feature, own.features) { XCTAssertEqual(a, b, accuracy: 1e-3) }
    }
}
