import Foundation
import XCTest
import Model
import ModelFormat
import PhotoqProtocol
import TestSupport

/// photoq reorders the daemon's candidates with the LSTM scorer when its
/// weights are installed (here: a seeded scorer in a private model folder).
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
        try? FileManager.default.removeItem(atPath: models + "/" + ScorerParameters.defaultFileName)
        try scorer.save(to: models + "/" + ScorerParameters.defaultFileName, modelID: "test-seed-11", vocabularyID: "test")

        // The expected order, computed here from the stored features.
        let query = "a dog on the grass"
        let connection = try DaemonConnection(path: daemon.socket, timeout: 10)
        let features = try photos.map { try connection.call(.get(GetRequest(photo: PhotoReference(path: $0))), expecting: PhotoRecordResult.self).feature }
        let scores = try scorer.score(try WordVectors(directory: models).encode(query), features: features)
        let expected = photos.indices.sorted { scores[$0] > scores[$1] }.prefix(4).map { photos[$0] }

        let r = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket, "--scores", "-n", "4", query],
                                        environment: ["PHOTOQ_MODEL_DIR": models])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t") }
        XCTAssertEqual(lines.map { String($0[1]) }, expected)
        for (line, path) in zip(lines, expected) {
            XCTAssertEqual(Float(line[0]) ?? -1, scores[photos.firstIndex(of: path)!], accuracy: 1e-4)
        }

        // --no-rerank keeps the daemon's order.
        let plain = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket, "--no-rerank", "-n", "4", query],
                                            environment: ["PHOTOQ_MODEL_DIR": models])
        let daemonOrder = try connection.call(.search(SearchRequest(text: query, k: 4)), expecting: SearchResult.self).hits.map(\.path)
        XCTAssertEqual(String(decoding: plain.stdout, as: UTF8.self).split(separator: "\n").map(String.init), daemonOrder)
    }
}
