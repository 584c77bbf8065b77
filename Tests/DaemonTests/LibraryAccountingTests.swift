import Foundation
import XCTest
import Imaging
import Index
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// Every file a scan meets ends up indexed, failed or skipped with a class,
/// and the counts survive restarts (the daemon's parts in process, with the
/// stand-in embedder).
final class LibraryAccountingTests: XCTestCase {
    private func write(_ path: String, _ text: String = "x") throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    private func failures(_ socket: String) throws -> FailuresResult {
        try DaemonConnection(path: socket, timeout: 5).call(.failures(FailuresRequest()), expecting: FailuresResult.self)
    }

    func testEveryFileTheScanMeetsIsIndexedFailedOrSkippedWithItsClass() throws {
        let d = try InProcessDaemon(self, excludes: ["exports"])
        let lib = d.library
        let outside = d.directory + "/outside.jpg"
        try FakePhoto.write(lib + "/a.jpg", seed: 1)
        try FakePhoto.write(outside, seed: 2)
        try write(lib + "/notes.txt")
        try write(lib + "/design.psd")
        try write(lib + "/trip/clip.mp4")
        try write(lib + "/trip/clip.MOV")
        try write(lib + "/.partial.jpg")
        try FakePhoto.write(lib + "/.thumbnails/t.jpg", seed: 3)
        try FakePhoto.write(lib + "/exports/e.jpg", seed: 4)
        try FileManager.default.createSymbolicLink(atPath: lib + "/link-in.jpg", withDestinationPath: lib + "/a.jpg")
        try FileManager.default.createSymbolicLink(atPath: lib + "/link-out.jpg", withDestinationPath: outside)
        try d.start()
        let expected = ["unsupported format": 2, "video": 2, "hidden": 2, "excluded": 1, "symlink": 1, "symlink outside roots": 1]
        try d.settle("every file accounted for") { $0.indexed == 1 && $0.skipped == 9 }
        var s = try d.status()
        XCTAssertEqual(s.byReason, expected)
        XCTAssertEqual(s.failed, 0)
        XCTAssertEqual(s.indexing, "idle")

        let listed = try failures(d.socketPath)
        XCTAssertEqual(listed.total, 9)
        let byPath = Dictionary(uniqueKeysWithValues: listed.entries.map { ($0.path, $0) })
        XCTAssertEqual(byPath[lib + "/trip/clip.MOV"]?.reason, "video")
        XCTAssertEqual(byPath[lib + "/design.psd"]?.reason, "unsupported format")
        XCTAssertEqual(byPath[lib + "/.thumbnails"]?.reason, "hidden")
        XCTAssertEqual(byPath[lib + "/exports"]?.reason, "excluded")
        XCTAssertEqual(byPath[lib + "/link-in.jpg"]?.reason, "symlink")
        XCTAssertEqual(byPath[lib + "/link-out.jpg"]?.reason, "symlink outside roots")
        XCTAssertTrue(listed.entries.allSatisfy(\.skipped))

        // Between scans: a new file is counted when written, a deleted one forgotten.
        try write(lib + "/trip/readme.md")
        try FileManager.default.removeItem(atPath: lib + "/notes.txt")
        try FileManager.default.removeItem(atPath: lib + "/link-out.jpg")
        try d.settle("changes between scans accounted for") {
            $0.skipped == 8 && $0.byReason?["symlink outside roots"] == nil && $0.byReason?["unsupported format"] == 2
        }
        s = try d.status()

        // Stored: a restart finds the same counts.
        d.stop()
        try d.start()
        try d.settle("same counts after a restart") { $0.indexed == 1 }
        XCTAssertEqual(try d.status().skipped, s.skipped)
        XCTAssertEqual(try d.status().byReason, s.byReason)
    }

    /// A folder moved within the root takes its skips along; one removed drops them.
    func testSkipsFollowFolderMovesAndRemovals() throws {
        let d = try InProcessDaemon(self)
        try write(d.library + "/old/a.txt")
        try write(d.library + "/old/b.mp4")
        try d.start()
        try d.settle("skipped") { $0.skipped == 2 }
        try FileManager.default.moveItem(atPath: d.library + "/old", toPath: d.library + "/new")
        try d.settle("moved") { _ in
            try self.failures(d.socketPath).entries.map(\.path).sorted() == [d.library + "/new/a.txt", d.library + "/new/b.mp4"]
        }
        try FileManager.default.removeItem(atPath: d.library + "/new")
        try d.settle("removed") { $0.skipped == 0 && $0.byReason == [:] }
    }

    /// While photos wait to be embedded, a search says so on stderr and in
    /// --json, never in the plain result lines.
    func testASearchWhilePhotosArePendingWarnsOnStandardError() throws {
        let gated = GatedEmbedder()
        let d = try InProcessDaemon(self, embedder: StandInEmbedder())
        let daemon = try PhotoDaemon(configuration: d.configuration, embedder: gated, log: Log(threshold: .error), environment: [:])
        addTeardownBlock { gated.release(); daemon.stop() }
        for i in 0..<3 { try FakePhoto.write(d.library + "/p\(i).jpg", seed: i) }
        daemon.start()
        try eventually("photos pending") { (try? d.status().pending) ?? 0 > 0 }
        let photoq = try DaemonProcess.binary("photoq")
        let plain = try TestEnvironment.run(photoq, ["--socket", d.socketPath, "--no-rerank", "anything"])
        let stderr = String(decoding: plain.stderr, as: UTF8.self)
        XCTAssertTrue(stderr.contains("photos still being indexed"), stderr)
        XCTAssertTrue(stderr.hasPrefix("warning: "), stderr)
        XCTAssertFalse(String(decoding: plain.stdout, as: UTF8.self).contains("warning"))
        let json = try TestEnvironment.run(photoq, ["--socket", d.socketPath, "--no-rerank", "--json", "anything"])
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any]
        XCTAssertGreaterThan(document?["pending"] as? Int ?? 0, 0, String(decoding: json.stdout, as: UTF8.self))
        gated.release()
    }

    func testSkipsAreStoredReplacedPerFolderAndReportedOnceWhenNew() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqskips")
        var index: PhotoIndex? = try PhotoIndex(stateDirectory: dir, modelID: "m", dimension: 4, featureDimension: 0)
        let a = SkipRecord(path: "/r/a.txt", className: "unsupported format", detail: "photoq reads no .txt files", size: 1)
        let b = SkipRecord(path: "/r/sub/b.mp4", className: "video", detail: "a .mp4 video")
        let c = SkipRecord(path: "/q/c.txt", className: "unsupported format", detail: "x")
        XCTAssertEqual(try index!.replaceSkips(under: "/r", with: [a, b]), [a, b])
        XCTAssertEqual(try index!.replaceSkips(under: "/q", with: [c]), [c])
        // The same findings again: nothing new to log.
        XCTAssertEqual(try index!.replaceSkips(under: "/r", with: [a, b]), [])
        // The file changed: reported again.
        var changed = a
        changed.size = 2
        XCTAssertEqual(try index!.replaceSkips(under: "/r", with: [changed, b]), [changed])
        // A subfolder scan only touches that subfolder.
        XCTAssertEqual(try index!.replaceSkips(under: "/r/sub", with: []), [])
        XCTAssertEqual(try index!.skipCount(), 2)
        index!.close()
        index = try PhotoIndex(stateDirectory: dir, modelID: "m", dimension: 4, featureDimension: 0)
        XCTAssertEqual(try index!.skip(path: "/r/a.txt"), changed)
        XCTAssertEqual(try index!.skipCount(), 2)
        // A photo indexed at a skipped path (renamed back, say) leaves no skip.
        try index!.upsert([PhotoRecord(id: 0, path: "/q/c.txt", device: 1, inode: 1, size: 1, mtimeNanoseconds: 1,
                                       contentHash: 1, modelID: "m", vector: [1, 0, 0, 0], feature: [])])
        XCTAssertNil(try index!.skip(path: "/q/c.txt"))
        try index!.apply([.removeFolder("/r")])
        XCTAssertEqual(try index!.skipCount(), 0)
        index!.close()
    }

    func testSkipClassesByNameAndLink() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqclass")
        let root = dir + "/root"
        try write(root + "/a.jpg")
        try write(dir + "/elsewhere.jpg")
        for name in ["x.txt", "y.webm", "z", ".hidden.png", "w.M2TS"] { try write(root + "/" + name) }
        try FileManager.default.createSymbolicLink(atPath: root + "/in.jpg", withDestinationPath: "a.jpg")
        try FileManager.default.createSymbolicLink(atPath: root + "/out.jpg", withDestinationPath: dir + "/elsewhere.jpg")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling.jpg", withDestinationPath: dir + "/nothing")
        let classifier = SkipClassifier(roots: [root], filter: PathFilter(excludes: []))
        func cls(_ name: String) -> String? { classifier.file(root + "/" + name, name: name)?.className }
        XCTAssertNil(cls("a.jpg"))
        XCTAssertEqual(cls("x.txt"), "unsupported format")
        XCTAssertEqual(cls("z"), "unsupported format")
        XCTAssertEqual(cls("y.webm"), "video")
        XCTAssertEqual(cls("w.M2TS"), "video")
        XCTAssertEqual(cls(".hidden.png"), "hidden")
        XCTAssertEqual(cls("in.jpg"), "symlink")
        XCTAssertEqual(cls("out.jpg"), "symlink outside roots")
        XCTAssertEqual(cls("dangling.jpg"), "symlink")
    }

    func testMinimumSideComesFromTheConfigFileOrTheFlag() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqminside")
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        let config = dir + "/config.toml"
        let env = ["HOME": dir, "XDG_RUNTIME_DIR": dir + "/run"]
        try "roots = [\"\(dir)/a\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try DaemonConfiguration.load(configPath: config, overrides: .init(), environment: env).minimumSide, 64)
        try "roots = [\"\(dir)/a\"]\nmin_side = 100\n".write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try DaemonConfiguration.load(configPath: config, overrides: .init(), environment: env).minimumSide, 100)
        var overrides = DaemonConfiguration.Overrides()
        overrides.minimumSide = 0
        XCTAssertEqual(try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env).minimumSide, 0)
        overrides.minimumSide = -1
        XCTAssertThrowsError(try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env))
    }

    func testAPhotoUnderTheMinimumSideIsCountedAsTooSmall() throws {
        XCTAssertThrowsError(try PhotoTooSmall.check(ImageSize(width: 640, height: 16), minimumSide: 64)) { error in
            XCTAssertEqual(FailureReason.className(of: error), "too small")
            XCTAssertTrue(FailureReason.text(for: error).hasPrefix("too small: 640×16 pixels"), FailureReason.text(for: error))
        }
        XCTAssertNoThrow(try PhotoTooSmall.check(ImageSize(width: 64, height: 64), minimumSide: 64))
        XCTAssertNoThrow(try PhotoTooSmall.check(ImageSize(width: 1, height: 1), minimumSide: 0))
        XCTAssertEqual(FailureReason.className(ofReason: "too small: 16×16 pixels"), "too small")
    }

    func testTheFailuresRequestTravelsAndIsPaged() throws {
        let envelope = RequestEnvelope(id: 3, request: .failures(FailuresRequest(offset: 5, limit: 10)))
        let data = try JSONEncoder().encode(envelope)
        XCTAssertEqual(try JSONDecoder().decode(RequestEnvelope.self, from: data), envelope)
        let bare = Data(#"{"version":1,"id":1,"method":"failures"}"#.utf8)
        XCTAssertEqual(try JSONDecoder().decode(RequestEnvelope.self, from: bare).request, .failures(FailuresRequest()))

        let d = try InProcessDaemon(self)
        for i in 0..<5 { try write(d.library + "/n\(i).txt") }
        try d.start()
        try d.settle("skipped") { $0.skipped == 5 }
        let connection = try DaemonConnection(path: d.socketPath, timeout: 5)
        let first = try connection.call(.failures(FailuresRequest(offset: 0, limit: 2)), expecting: FailuresResult.self)
        XCTAssertEqual(first.entries.map(\.path), [d.library + "/n0.txt", d.library + "/n1.txt"])
        XCTAssertEqual(first.total, 5)
        XCTAssertEqual(first.nextOffset, 2)
        let last = try connection.call(.failures(FailuresRequest(offset: 4, limit: 2)), expecting: FailuresResult.self)
        XCTAssertEqual(last.entries.map(\.path), [d.library + "/n4.txt"])
        XCTAssertNil(last.nextOffset)
        XCTAssertThrowsError(try connection.call(.failures(FailuresRequest(offset: 0, limit: 0)), expecting: FailuresResult.self))
    }
}
