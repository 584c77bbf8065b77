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

    func testWithoutTextTheLastSearchIsExplainedAndThePictureGoesToAPrivateFile() throws {
        let (daemon, _, env) = try startDaemonWithSamples()
        let dogID = try idOfDog(daemon, env)  // searches "a dog", which becomes the last query
        let r = try photoq(daemon, ["--explain", String(dogID)], env)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\u{1B}["), "no colour when stdout is a pipe")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.contains("\"a dog\"") == true, r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  dog ") }, "one line per content word: \(r.stdout)")
        XCTAssertFalse(r.stdout.contains("eb on") || r.stdout.contains("image share"), "plain words: \(r.stdout)")
        let written = try XCTUnwrap(lines.last?.split(separator: " ").last.map(String.init))
        XCTAssertTrue(lines.last?.hasPrefix("Saved the picture to ") == true, r.stdout)
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

    func testDefaultPictureAndLastQueryArePrivate() throws {
        let (daemon, dir, baseEnv) = try startDaemonWithSamples()
        var env = baseEnv
        env["XDG_RUNTIME_DIR"] = dir + "/run"
        try FileManager.default.createDirectory(atPath: dir + "/run", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let dogID = try idOfDog(daemon, env)
        let lastQuery = dir + "/cache/photoq/last-query"
        XCTAssertEqual(try mode(lastQuery), 0o600, "the saved last query")
        let r = try photoq(daemon, ["--explain", String(dogID), "dog", "--json"], env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = try XCTUnwrap(try jsonObject(r.stdout)["out"] as? String)
        XCTAssertEqual(out, dir + "/run/photoq/explain-\(dogID).jpg", "the picture goes to the private runtime folder")
        XCTAssertEqual(try mode(out), 0o600)
        XCTAssertEqual(try mode(dir + "/run/photoq"), 0o700)
        // An existing world-readable file named with --out is made private too.
        let named = dir + "/named.png"
        FileManager.default.createFile(atPath: named, contents: Data(), attributes: [.posixPermissions: 0o644])
        XCTAssertEqual(try photoq(daemon, ["--explain", String(dogID), "dog", "--out", named], env).status, 0)
        XCTAssertEqual(try mode(named), 0o600)
    }

    func testUnwritableExtensionIsAUsageError() throws {
        let (daemon, dir, env) = try startDaemonWithSamples()
        let dogID = try idOfDog(daemon, env)
        let webp = dir + "/why.webp"
        let r = try photoq(daemon, ["--explain", String(dogID), "dog", "--out", webp], env)
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains(".png"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: webp), "no JPEG in disguise")
        let tool = try TestEnvironment.run(try DaemonProcess.binary("photoq-model"),
                                           ["explain", try TestEnvironment.data("samples/dog.jpg"), "dog", "--out", webp],
                                           environment: env)
        XCTAssertEqual(tool.status, 64, String(decoding: tool.stderr, as: UTF8.self))
        XCTAssertFalse(FileManager.default.fileExists(atPath: webp))
    }

    func testWordsStripAndOneWordsMap() throws {
        let (daemon, dir, env) = try startDaemonWithSamples()
        let dogID = try idOfDog(daemon, env)
        let query = "a dog next to a red bicycle"
        let strip = dir + "/strip.png"
        let r = try photoq(daemon, ["--explain", String(dogID), query, "--words", "--out", strip, "--json"], env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try jsonObject(r.stdout)
        let words = try XCTUnwrap(doc["words"] as? [[String: Any]])
        XCTAssertEqual(words.compactMap { $0["word"] as? String }, ["dog", "next", "red", "bicycle"])
        for word in words {
            XCTAssertNotNil(word["peak"] as? [String: Int], "\(word)")
            let grid = try XCTUnwrap(word["grid"] as? [String: Any])
            XCTAssertEqual((grid["values"] as? [[Double]])?.count, grid["height"] as? Int)
        }
        // The combined tile and one per word, side by side, each the photo's aspect (768×576 at 240 high).
        let size = try pngSize(strip)
        XCTAssertEqual(size.width, 5 * 320 + 4 * 8)
        XCTAssertEqual(size.height, 240 + 22)

        let one = dir + "/bicycle.png"
        let w = try photoq(daemon, ["--explain", String(dogID), query, "--word", "bicycle", "--out", one], env)
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.contains("\"bicycle\""), w.stdout)
        XCTAssertGreaterThan(try pngSize(one).width, 0)
        let unknown = try photoq(daemon, ["--explain", String(dogID), query, "--word", "cat", "--out", one], env)
        XCTAssertEqual(unknown.status, 64, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("dog, next, red, bicycle"), unknown.stderr)
    }

    // MARK: Helpers

    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try XCTUnwrap(attributes[.posixPermissions] as? Int) & 0o777
    }

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
