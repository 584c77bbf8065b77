import Foundation
import XCTest
import TestSupport

/// `photoq --explain` against the real photoqd and photoq binaries: the heat map
/// file, the JSON document, the last-query fallback and the exit statuses.
final class ExplainEndToEndTests: XCTestCase {
    func testExplainDogWritesItsHeatMapAndAgreesWithPhotoqModel() throws {
        let (daemon, dir, env) = try startDaemonWithSamples()
        let dogID = try idOfDog(daemon, env)
        let out = dir + "/dog-explained.png"
        let r = try photoq(daemon, ["--explain", String(dogID), "dog", "--out", out, "--json"], env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try jsonObject(r.stdout)
        XCTAssertEqual(doc["version"] as? Int, 1)
        XCTAssertEqual(doc["id"] as? Int, Int(dogID))
        XCTAssertEqual(doc["query"] as? String, "dog")
        let words = (doc["words"] as? [[String: Any]])?.compactMap { $0["word"] as? String }
        XCTAssertEqual(words, ["dog"])
        let grid = try XCTUnwrap(doc["grid"] as? [String: Any])
        let rows = try XCTUnwrap(grid["values"] as? [[Double]])
        XCTAssertEqual(rows.count, grid["height"] as? Int)
        XCTAssertTrue(rows.allSatisfy { $0.count == grid["width"] as? Int && $0.allSatisfy { $0 >= 0 && $0.isFinite } })
        XCTAssertEqual(rows.flatMap { $0 }.max() ?? 0, 1, accuracy: 1e-6, "the grid is normalised to a peak of 1")

        // A valid PNG of the photo's upright size (PIL's reading of the original, EXIF applied).
        let size = try pngSize(out)
        let original = try TestEnvironment.data("samples/dog.jpg")
        let pil = try TestEnvironment.run(TestEnvironment.python, ["-c", """
            import sys; from PIL import Image, ImageOps
            im = ImageOps.exif_transpose(Image.open(sys.argv[1])); print(im.width, im.height)
            """, original])
        XCTAssertEqual(pil.status, 0)
        let expected = String(decoding: pil.stdout, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        XCTAssertEqual([size.width, size.height], expected)

        // The peak lies on the dog: it sits in the left part of the photo, from the
        // porch rail down to the floor (x 17–45 %, y 35–97 % of 768×576).
        let peak = try XCTUnwrap(doc["peak"] as? [String: Int])
        let (px, py) = (Double(peak["x"] ?? -1) / Double(size.width), Double(peak["y"] ?? -1) / Double(size.height))
        XCTAssertTrue((0.17...0.45).contains(px) && (0.35...0.97).contains(py), "peak \(peak) is off the dog")

        // The same computation as photoq-model explain on the file itself.
        let reference = try TestEnvironment.run(try DaemonProcess.binary("photoq-model"),
                                                ["explain", original, "dog", "--out", dir + "/reference.png", "--json"],
                                                environment: env)
        XCTAssertEqual(reference.status, 0, String(decoding: reference.stderr, as: UTF8.self))
        let referenceDoc = try jsonObject(String(decoding: reference.stdout, as: UTF8.self))
        XCTAssertEqual(referenceDoc["peak"] as? [String: Int], peak)
        XCTAssertEqual((referenceDoc["grid"] as? [String: Any])?["values"] as? [[Double]], rows)
        XCTAssertEqual(referenceDoc["target"] as? String, doc["target"] as? String)
        XCTAssertEqual(referenceDoc["score"] as? Double, doc["score"] as? Double)
    }

    func testWithoutTextTheLastSearchIsExplainedAndTextGoesToATemporaryFile() throws {
        let (daemon, _, env) = try startDaemonWithSamples()
        let dogID = try idOfDog(daemon, env)  // searches "a dog", which becomes the last query
        let r = try photoq(daemon, ["--explain", String(dogID)], env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no colour when stdout is a pipe")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("a ") == true && lines.first?.contains("dog ") == true, r.stdout)
        let written = try XCTUnwrap(lines.last?.split(separator: " ", maxSplits: 1).last.map(String.init))
        XCTAssertTrue(lines.last?.hasPrefix("wrote ") == true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: written) }
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: written))
        XCTAssertEqual(Array(bytes.prefix(3)), [0xFF, 0xD8, 0xFF], "a JPEG by default")
    }

    func testErrorsHaveTheirExitStatuses() throws {
        let (daemon, dir, env) = try startDaemonWithSamples()
        let unknown = try photoq(daemon, ["--explain", "987654", "dog"], env)
        XCTAssertEqual(unknown.status, 66, unknown.stderr)

        let unreachable = try TestEnvironment.run(try DaemonProcess.binary("photoq"),
                                                  ["--socket", dir + "/none.sock", "--explain", "1", "dog"], environment: env)
        XCTAssertEqual(unreachable.status, 69)

        var noModels = env
        noModels["PHOTOQ_MODEL_DIR"] = dir + "/empty-models"
        let missing = try photoq(daemon, ["--explain", String(try idOfDog(daemon, env)), "dog"], noModels)
        XCTAssertEqual(missing.status, 78)
        XCTAssertTrue(missing.stderr.contains("scripts/setup"), missing.stderr)

        let notJPEG = dir + "/notes.jpg"
        FileManager.default.createFile(atPath: notJPEG, contents: Data("not a photo".utf8))
        let bad = try photoq(daemon, ["--explain", notJPEG, "dog"], env)
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains(notJPEG), bad.stderr)
    }

    // MARK: Helpers

    private func startDaemonWithSamples() throws -> (DaemonProcess, String, [String: String]) {
        _ = try TestEnvironment.model("lstm-scorer.safetensors")
        _ = try DaemonProcess.binary("photoq-model")
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqx")
        let daemon = try DaemonProcess(self, directory: dir)
        try daemon.start()
        let samples = try SamplePhotos.samples().filter { ["dog.jpg", "kite.jpg", "giraffe.jpg"].contains(($0 as NSString).lastPathComponent) }
        let photos = try SamplePhotos.copy(samples, into: daemon.root + "/samples")
        try daemon.settle("samples indexed") { $0.indexed == photos.count }
        // The last query is kept in the test's own cache; plain output on a pipe.
        let env = ["PHOTOQ_MODEL_DIR": TestEnvironment.modelDirectory, "XDG_CACHE_HOME": dir + "/cache",
                   "OPENBLAS_NUM_THREADS": "1"]
        return (daemon, dir, env)
    }

    private func idOfDog(_ daemon: DaemonProcess, _ env: [String: String]) throws -> UInt64 {
        let r = try photoq(daemon, ["--json", "-n", "3", "a dog"], env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let results = try XCTUnwrap(try jsonObject(r.stdout)["results"] as? [[String: Any]])
        let dog = try XCTUnwrap(results.first { ($0["path"] as? String)?.hasSuffix("/dog.jpg") == true })
        return UInt64(try XCTUnwrap(dog["id"] as? Int))
    }

    private func photoq(_ daemon: DaemonProcess, _ arguments: [String], _ env: [String: String]) throws
        -> (status: Int32, stdout: String, stderr: String) {
        let r = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket] + arguments,
                                        environment: env)
        return (r.status, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
    }

    private func jsonObject(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// Width and height from a PNG's signature and IHDR chunk.
    private func pngSize(_ path: String) throws -> (width: Int, height: Int) {
        let bytes = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: path)))
        XCTAssertEqual(Array(bytes.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "PNG signature")
        XCTAssertEqual(String(decoding: bytes[12..<16], as: UTF8.self), "IHDR")
        let be = { (at: Int) in bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }
}
