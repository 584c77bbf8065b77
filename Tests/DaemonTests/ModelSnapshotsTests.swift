import Foundation
import XCTest
import Model
import ModelFormat
import TestSupport
@testable import Daemon

/// The copy of the serving model in the state folder, with the real models:
/// it loads as the same model and embeds alike, stays private, survives new
/// weights being installed, and is refused once its own files change.
final class ModelSnapshotsTests: XCTestCase {
    private func status(_ path: String) throws -> stat {
        var s = stat()
        guard lstat(path, &s) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        return s
    }

    /// The installed models, hard-linked (or copied) into a folder this test may change.
    private func modelFolder() throws -> String {
        try DaemonProcess.requireModels()
        let installed = TestEnvironment.modelDirectory
        _ = try TestEnvironment.model(JointModelFiles.joint)
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqmodels")
        for name in try FileManager.default.contentsOfDirectory(atPath: installed) {
            if link(installed + "/" + name, dir + "/" + name) != 0 {
                try FileManager.default.copyItem(atPath: installed + "/" + name, toPath: dir + "/" + name)
            }
        }
        return dir
    }

    /// Installs a joint model with another id the way install-models does: a new file renamed in.
    private func installJoint(in dir: String, modelID: String, at target: String? = nil) throws {
        let source = try WeightFile(path: TestEnvironment.modelDirectory + "/" + JointModelFiles.joint)
        let destination = target ?? dir + "/" + JointModelFiles.joint
        try WeightFileRewrite.setMetadata(["model_id": modelID], of: source, to: destination + ".new")
        guard rename(destination + ".new", destination) == 0 else { throw POSIXError(.EIO) }
    }

    func testTheKeptModelAnswersAsTheOneItCopiedUntilItsFilesChange() throws {
        let models = try modelFolder()
        let state = try TestEnvironment.temporaryDirectory(self, prefix: "pqstate")
        let snapshots = ModelSnapshots(stateDirectory: state) { try ModelEmbedder(modelDirectory: $0, threads: 1) }
        let serving = try ModelEmbedder(modelDirectory: models, threads: 1)
        XCTAssertNil(snapshots.embedder(for: serving.modelID), "nothing kept yet")
        try snapshots.keep(serving)

        XCTAssertEqual(snapshots.keptModelID, serving.modelID)
        XCTAssertEqual(try status(snapshots.directory).st_mode & 0o777, 0o700)
        XCTAssertEqual(try status(snapshots.directory + "/model-id").st_mode & 0o077, 0)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: snapshots.directory)),
                       Set(serving.filesRead + ["model-id"]))
        for name in serving.filesRead {
            let kept = try status(snapshots.directory + "/" + name)
            let original = try status(models + "/" + name)
            XCTAssertTrue(kept.st_ino == original.st_ino || kept.st_mode & 0o077 == 0, "\(name): a hard link, or a private copy")
        }

        // New weights installed: the kept copy still loads the old model and embeds as it did.
        let photo = try XCTUnwrap(try SamplePhotos.samples().first { $0.hasSuffix("/dog.jpg") })
        let expected = try serving.embed(imagesAt: [photo])[0].get().vector
        try installJoint(in: models, modelID: "next-joint")
        try FileManager.default.removeItem(atPath: models + "/" + ScorerParameters.rerankerFileName) // trained for the old joint model
        let next = try ModelEmbedder(modelDirectory: models, threads: 1)
        XCTAssertNotEqual(next.modelID, serving.modelID)
        let old = try XCTUnwrap(snapshots.embedder(for: serving.modelID))
        XCTAssertEqual(old.modelID, serving.modelID)
        XCTAssertEqual(try old.embed(imagesAt: [photo])[0].get().vector, expected)
        XCTAssertEqual(try old.embedQuery("a dog on a beach"), try serving.embedQuery("a dog on a beach"))
        XCTAssertNil(snapshots.embedder(for: next.modelID), "only the kept model is offered")

        // Keeping the next model replaces the copy whole.
        try snapshots.keep(next)
        XCTAssertEqual(snapshots.keptModelID, next.modelID)
        XCTAssertEqual(snapshots.embedder(for: next.modelID)?.modelID, next.modelID)
        XCTAssertNil(snapshots.embedder(for: serving.modelID))
        XCTAssertFalse(FileManager.default.fileExists(atPath: snapshots.directory + ".new"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: snapshots.directory + ".old"))

        // A copy whose files were rewritten is another model: refused, not served under the kept id.
        try installJoint(in: models, modelID: "tampered", at: snapshots.directory + "/" + JointModelFiles.joint)
        XCTAssertNil(snapshots.embedder(for: next.modelID))
    }
}
