import Foundation
import XCTest
import PhotoqProtocol
import TestSupport

/// The mixed folder, against the real photoqd and photoq: every
/// still image indexed, everything else failed or skipped with its class,
/// and the counts add up to the files on disk.
final class LibraryAccountingEndToEndTests: XCTestCase {
    /// Each sample's main variant in every format photoq decodes.
    static let variants = ["rgb.png", "lossless.webp", "lossy.webp", "rgb.tif", "rgb.bmp", "first.gif", "photo.heic",
                           "photo.avif", "preview.dng", "linear.dng"]

    func testAMixedLibraryIsAccountedForAndTheDogIsFoundInEveryFormat() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqmixed")
        let daemon = try DaemonProcess(self, directory: dir)
        let root = daemon.root
        let fixtures = dir + "/fixtures"
        let samples = try TestEnvironment.data("samples")
        let description = try TestEnvironment.runReference("make_format_fixtures.py", [samples, fixtures, "256"])
        let videos = ((try JSONSerialization.jsonObject(with: description) as? [String: Any])?["videos"] as? [[String: Any]] ?? [])
            .compactMap { $0["file"] as? String }
        XCTAssertGreaterThanOrEqual(videos.count, 5)
        let stems = try FileManager.default.contentsOfDirectory(atPath: samples).filter { $0.hasSuffix(".jpg") }
            .map { String($0.dropLast(4)) }.sorted()
        XCTAssertEqual(stems.count, 7)
        let stills = stems.flatMap { stem in [stem + ".jpg"] + Self.variants.map { "\(stem)-\($0)" } } + ["dog-png-named.jpg"]
        let fm = FileManager.default
        for name in stills { try fm.copyItem(atPath: fixtures + "/" + name, toPath: root + "/" + name) }
        try fm.createDirectory(atPath: root + "/videos", withIntermediateDirectories: true)
        for video in videos { try fm.copyItem(atPath: video, toPath: root + "/videos/" + (video as NSString).lastPathComponent) }
        try fm.copyItem(atPath: videos[0], toPath: root + "/videos/clip-named.jpg")   // found by its bytes
        try fm.createDirectory(atPath: root + "/copies", withIntermediateDirectories: true)
        try fm.copyItem(atPath: root + "/dog.jpg", toPath: root + "/copies/dog.jpg")   // byte-identical
        try fm.createSymbolicLink(atPath: root + "/dog-link.jpg", withDestinationPath: root + "/dog.jpg")
        try "trip notes".write(toFile: root + "/notes.txt", atomically: false, encoding: .utf8)
        let icon = root + "/icon.png"
        _ = try TestEnvironment.run(TestEnvironment.python, ["-c", "import sys; from PIL import Image; Image.new('RGB', (16, 16), (200, 30, 30)).save(sys.argv[1])", icon])
        XCTAssertTrue(fm.fileExists(atPath: icon))
        let files = stills.count + 1 + videos.count + 1 + 1 + 1 + 1

        try daemon.start()
        try daemon.settle("every file accounted for", timeout: 300) { $0.indexed + $0.failed + ($0.skipped ?? 0) == files }
        let status = try daemon.status()
        XCTAssertEqual(status.indexed, stills.count + 1, daemon.log.suffix(4000).description)
        XCTAssertEqual(status.failed, 1)
        XCTAssertEqual(status.failedByReason, ["video": 1])
        XCTAssertEqual(status.skipped, videos.count + 3)
        XCTAssertEqual(status.byReason, ["video": videos.count + 1, "too small": 1, "symlink": 1, "unsupported format": 1])
        XCTAssertEqual(status.indexing, "idle")

        // --status --json, as a script reads it.
        let json = try daemon.photoq(["--status", "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        let counted = ["indexed", "failed", "skipped"].map { document[$0] as? Int ?? -1 }.reduce(0, +)
        XCTAssertEqual(counted, files, json.stdout)
        XCTAssertEqual((document["by_reason"] as? [String: Int])?["too small"], 1, json.stdout)
        XCTAssertEqual(document["pending"] as? Int, 0)
        let plain = try daemon.photoq(["--status"]).stdout
        XCTAssertTrue(plain.contains("skipped  \(videos.count + 3) ("), plain)
        XCTAssertTrue(plain.contains("indexing idle"), plain)

        // "a dog" finds the dog in each format among the top results.
        let dogs = Set(stills.filter { $0.hasPrefix("dog") }.map { root + "/" + $0 } + [root + "/copies/dog.jpg"])
        // The byte-identical copy is one result, the other path in its `also`.
        let search = try daemon.photoq(["--min-score", "-1", "--json", "-n", String(dogs.count - 1), "a dog"])
        XCTAssertEqual(search.status, 0, search.stderr)
        let results = (try JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]] ?? []
        XCTAssertEqual(results.count, dogs.count - 1, search.stdout)
        let found = Set(results.flatMap { [$0["path"] as? String ?? ""] + ($0["also"] as? [String] ?? []) })
        XCTAssertEqual(dogs.subtracting(found), [], "ranking:\n\(search.stdout)")
        // (The fixtures' PNG named .jpg is byte-identical to dog-rgb.png: a second folded pair.)
        let groups = results.compactMap { r -> Set<String>? in
            let also = r["also"] as? [String] ?? []
            return also.isEmpty ? nil : Set([r["path"] as? String ?? ""] + also)
        }
        XCTAssertTrue(groups.contains([root + "/dog.jpg", root + "/copies/dog.jpg"]), search.stdout)

        // --failed: one line per file not indexed, with its class.
        let failed = try daemon.photoq(["--failed"])
        XCTAssertEqual(failed.status, 0, failed.stderr)
        let lines = failed.stdout.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        XCTAssertEqual(lines.count, 1 + videos.count + 3, failed.stdout)
        XCTAssertTrue(lines.allSatisfy { $0.count == 3 }, failed.stdout)
        XCTAssertEqual(lines.first.map { [String($0[0]), String($0[1])] }, ["video", root + "/videos/clip-named.jpg"])
        XCTAssertTrue(lines.contains { $0[0] == "too small" && $0[1] == icon && $0[2].contains("16×16") }, failed.stdout)
        XCTAssertTrue(lines.contains { $0[0] == "symlink" && $0[1] == root + "/dog-link.jpg" }, failed.stdout)
        let failedJSON = try daemon.photoq(["--failed", "--json"])
        let list = try JSONSerialization.jsonObject(with: Data(failedJSON.stdout.utf8)) as? [String: Any] ?? [:]
        XCTAssertEqual(list["total"] as? Int, 1 + videos.count + 3)
        XCTAssertEqual((list["files"] as? [[String: Any]])?.filter { $0["outcome"] as? String == "skipped" }.count, videos.count + 3)
        let nul = try daemon.photoq(["--failed", "-0"])
        XCTAssertEqual(nul.stdout.split(separator: "\0").count, 1 + videos.count + 3)

        // --similar for a photo outside the index: embedded on the fly.
        let outside = fixtures + "/dog-lossy.webp"
        let similar = try daemon.photoq(["--similar", outside, "-n", "5"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        let similarTop = similar.stdout.split(separator: "\n").map { line in
            line.hasPrefix("  also: ") ? String(line.dropFirst("  also: ".count)) : String(line)
        }
        XCTAssertTrue(similarTop.allSatisfy { dogs.contains($0) }, similar.stdout)
        XCTAssertFalse(similarTop.contains(outside))
        // Unreadable or undecodable: exit 65 with the reason; the daemon keeps serving.
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: URL(fileURLWithPath: dir + "/garbage.jpg"))
        let garbage = try daemon.photoq(["--similar", dir + "/garbage.jpg"])
        XCTAssertEqual(garbage.status, 65, garbage.stderr)
        XCTAssertTrue(garbage.stderr.contains("not-a-photo") || garbage.stderr.contains("corrupt"), garbage.stderr)
        let missing = try daemon.photoq(["--similar", dir + "/missing.jpg"])
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("no such file"), missing.stderr)
        try Data([0xFF, 0xD8, 0xFF, 0xE0]).write(to: URL(fileURLWithPath: dir + "/locked.jpg"))
        chmod(dir + "/locked.jpg", 0)
        let locked = try daemon.photoq(["--similar", dir + "/locked.jpg"])
        if getuid() != 0 {   // root reads it anyway
            XCTAssertEqual(locked.status, 65, locked.stderr)
            XCTAssertTrue(locked.stderr.contains("unreadable"), locked.stderr)
        }
        let tiny = try daemon.photoq(["--similar", icon])
        XCTAssertEqual(tiny.status, 65, tiny.stderr)
        XCTAssertTrue(tiny.stderr.contains("too small"), tiny.stderr)
        XCTAssertEqual(try daemon.status().indexed, stills.count + 1)
    }
}
