import Foundation
import XCTest
import Model
import ModelFormat
import PhotoqProtocol
import TestSupport

/// photoq reorders the daemon's best candidates with the LSTM scorer when its
/// weights are installed and its policy is on (here: a seeded scorer in a
/// private model folder).
final class RerankingTests: XCTestCase {
    func testClientReranksWithTheInstalledScorer() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqr")
        let daemon = try DaemonProcess(self, directory: dir)
        _ = try TestEnvironment.model(ModelPaths.wordVectors)
        try daemon.start()
        let photos = try SamplePhotos.copy(try SamplePhotos.samples(), into: daemon.root)
        try daemon.settle("samples indexed") { $0.indexed == photos.count }

        let models = dir + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: TestEnvironment.modelDirectory) {
            try FileManager.default.createSymbolicLink(atPath: models + "/" + name, withDestinationPath: TestEnvironment.modelDirectory + "/" + name)
        }
        let scorer = ScorerParameters(shape: ScorerShape(), seed: 11)
        let scorerPath = models + "/" + ScorerParameters.defaultFileName
        try? FileManager.default.removeItem(atPath: scorerPath)
        // A negative joint weight (never chosen in training) makes sure the
        // order changes, so the test sees the reranking happen.
        let policy = ScorerRerankPolicy(enabled: true, topK: 3, jointWeight: -50)
        try scorer.save(to: scorerPath, modelID: "test-seed-11", vocabularyID: "test", extraMetadata: policy.metadata)

        // The expected order, computed here from the daemon's joint order and
        // stored features: the top 3 by LSTM logit − 50 × joint similarity, the
        // 4th left where the joint space put it.
        let query = "a dog on the grass"
        let connection = try DaemonConnection(path: daemon.socket, timeout: 10)
        let joint = try connection.call(.search(SearchRequest(text: query, k: 4, minScore: -1)), expecting: SearchResult.self).hits
        let features = try joint.prefix(3).map {
            try connection.call(.get(GetRequest(photo: PhotoReference(path: $0.path))), expecting: PhotoRecordResult.self).feature
        }
        let logits = try features.flatMap { $0 }.withUnsafeBufferPointer {
            try scorer.score(try WordVectors(directory: models).encode(query), features: $0.baseAddress!, count: 3)
        }
        let combined = (0..<3).map { logits[$0] - 50 * joint[$0].score }
        let expected = (0..<3).sorted { combined[$0] > combined[$1] }.map { joint[$0] } + [joint[3]]
        XCTAssertNotEqual(expected.map(\.path), joint.map(\.path), "the seeded scorer must change the order, or this test shows nothing")

        let r = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket, "--min-score", "-1", "--scores", "-n", "4", query],
                                        environment: ["PHOTOQ_MODEL_DIR": models])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t") }
        XCTAssertEqual(lines.map { String($0[1]) }, expected.map(\.path))
        for (line, hit) in zip(lines, expected) {
            XCTAssertEqual(Float(line[0]) ?? -1, hit.score, accuracy: 1e-4, "scores stay the joint similarities")
        }

        // A scorer whose policy is off is not used.
        try scorer.save(to: scorerPath, modelID: "test-seed-11", vocabularyID: "test",
                        extraMetadata: ScorerRerankPolicy(enabled: false, topK: 3, jointWeight: -50).metadata)
        let off = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket, "--min-score", "-1", "-n", "4", query],
                                          environment: ["PHOTOQ_MODEL_DIR": models])
        XCTAssertEqual(String(decoding: off.stdout, as: UTF8.self).split(separator: "\n").map(String.init), joint.map(\.path))
        try scorer.save(to: scorerPath, modelID: "test-seed-11", vocabularyID: "test", extraMetadata: policy.metadata)

        // --no-rerank keeps the daemon's order.
        let plain = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket, "--min-score", "-1", "--no-rerank", "-n", "4", query],
                                            environment: ["PHOTOQ_MODEL_DIR": models])
        let daemonOrder = try connection.call(.search(SearchRequest(text: query, k: 4, minScore: -1)), expecting: SearchResult.self).hits.map(\.path)
        XCTAssertEqual(String(decoding: plain.stdout, as: UTF8.self).split(separator: "\n").map(String.init), daemonOrder)
    }
}
