import Foundation
import XCTest
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// The shipped model's calibrated cutoff, end to end: nonsense finds
/// nothing (exit 1, with a hint), a real query still finds its photo, and
/// --min-score overrides the cutoff.
final class RelevanceCutoffEndToEndTests: XCTestCase {
    func testNonsenseFindsNothingUntilTheCutoffIsLowered() throws {
        try DaemonProcess.requireModels()
        let cutoff = try ModelEmbedder(modelDirectory: TestEnvironment.modelDirectory, threads: 1).relevanceCutoff
        guard let cutoff else {
            if TestEnvironment.requireAssets { return XCTFail("the installed joint model has no relevance_cutoff; run scripts/install-models") }
            throw XCTSkip("the installed joint model has no relevance cutoff")
        }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqcut")
        let daemon = try DaemonProcess(self, directory: dir)
        _ = try SamplePhotos.copy(try SamplePhotos.samples().filter { $0.hasSuffix("/dog.jpg") }, into: daemon.root)
        try daemon.start()
        try daemon.settle("one photo") { $0.indexed == 1 }

        let dog = try daemon.photoq(["--json", "a dog"])
        XCTAssertEqual(dog.status, 0, dog.stderr)
        let document = try JSONSerialization.jsonObject(with: Data(dog.stdout.utf8)) as? [String: Any]
        XCTAssertEqual((document?["min_score"] as? Double).map(Float.init) ?? -9, cutoff, accuracy: 1e-6)
        XCTAssertEqual(document?["below_min_score"] as? Int, 0)

        let nonsense = try daemon.photoq(["asdfghjkl"])
        XCTAssertEqual(nonsense.status, 1, nonsense.stdout + nonsense.stderr)
        XCTAssertEqual(nonsense.stdout, "")
        XCTAssertTrue(nonsense.stderr.contains("relevance cutoff") && nonsense.stderr.contains("--min-score -1"), nonsense.stderr)

        let everything = try daemon.photoq(["--min-score", "-1", "asdfghjkl"])
        XCTAssertEqual(everything.status, 0, everything.stderr)
        XCTAssertEqual(everything.stdout, daemon.root + "/dog.jpg\n")
        XCTAssertEqual(try daemon.photoq(["--min-score", "0.99", "a dog"]).status, 1, "an explicit cutoff above every score")
        for bad in ["1.5", "-3", "nan"] {
            XCTAssertEqual(try daemon.photoq(["--min-score", bad, "a dog"]).status, 64, bad)
        }
    }
}
