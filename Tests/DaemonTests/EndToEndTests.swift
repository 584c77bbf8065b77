import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// The real photoqd and photoq binaries with the installed models.
final class EndToEndTests: XCTestCase {
    func testCopiedPhotosBecomeSearchableAndTheClientOutputs() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqe")
        let daemon = try DaemonProcess(self, directory: dir)
        try daemon.start()
        let photos = try SamplePhotos.copy(try SamplePhotos.samples(), into: daemon.root + "/samples")
        try daemon.settle("samples indexed") { $0.indexed == photos.count }

        // The documented interface: one JSON document with integer counts.
        let status = try daemon.photoq(["--status", "--json"])
        XCTAssertEqual(status.status, 0, status.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["version"] as? Int, 1)
        XCTAssertEqual(json?["indexed"] as? Int, photos.count)
        XCTAssertEqual(json?["pending"] as? Int, 0)
        XCTAssertEqual(json?["failed"] as? Int, 0)

        // Paths, best first, one per line.
        for (query, expected) in [("a dog", "dog.jpg"), ("a giraffe", "giraffe.jpg"), ("horses in a field", "horses.jpg")] {
            // Every result, even those below the relevance cutoff: this checks the output.
            let r = try daemon.photoq(["--min-score", "-1", "-n", "3", query])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 3)
            XCTAssertEqual(lines.first, daemon.root + "/samples/" + expected, "query \(query): \(lines)")
        }
        let nul = try daemon.photoq(["--min-score", "-1", "-0", "-n", "2", "a dog"])
        XCTAssertEqual(nul.stdout.split(separator: "\0").count, 2)
        XCTAssertFalse(nul.stdout.contains("\n"))
        let scored = try daemon.photoq(["--min-score", "-1", "--scores", "-n", "2", "a dog"])
        let scores = scored.stdout.split(separator: "\n").compactMap { Float($0.split(separator: "\t").first ?? "") }
        XCTAssertEqual(scores.count, 2)
        XCTAssertGreaterThanOrEqual(scores[0], scores[1])
        let doc = try daemon.photoq(["--min-score", "-1", "--json", "-n", "2", "a dog"])
        let results = (try JSONSerialization.jsonObject(with: Data(doc.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        XCTAssertEqual(results?.count, 2)

        // V query: the photo itself is not among its neighbours.
        let similar = try daemon.photoq(["--similar", daemon.root + "/samples/dog.jpg", "-n", "3"])
        XCTAssertEqual(similar.status, 0, similar.stderr)
        XCTAssertFalse(similar.stdout.contains("/dog.jpg"))
        XCTAssertEqual(similar.stdout.split(separator: "\n").count, 3)

        // Exit statuses: no match, usage, not indexed, unreachable.
        XCTAssertEqual(try daemon.photoq(["--in", dir + "/elsewhere", "a dog"]).status, 1)
        XCTAssertEqual(try daemon.photoq(["-n", "0", "a dog"]).status, 64)
        XCTAssertEqual(try daemon.photoq(["--similar", dir + "/nope.jpg"]).status, 66)
        let unreachable = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", dir + "/none.sock", "a dog"])
        XCTAssertEqual(unreachable.status, 69)
        XCTAssertTrue(String(decoding: unreachable.stderr, as: UTF8.self).contains("systemctl --user start photoqd.socket"))
    }

    func testGracefulStopAndPhotosAddedWhileDown() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqe")
        let daemon = try DaemonProcess(self, directory: dir)
        let samples = try SamplePhotos.samples()
        _ = try SamplePhotos.copy(Array(samples.prefix(2)), into: daemon.root)
        try daemon.start()
        try daemon.settle("first photos") { $0.indexed == 2 }
        XCTAssertEqual(daemon.terminate(), 0, daemon.log)
        XCTAssertFalse(FileManager.default.fileExists(atPath: daemon.socket), "the socket must be removed on SIGTERM")

        let added = try SamplePhotos.copy(Array(samples.dropFirst(2).prefix(2)), into: daemon.root + "/later")
        try daemon.start()
        try daemon.settle("photos added while down") { $0.indexed == 4 }
        let all = try daemon.photoq(["--min-score", "-1", "-n", "10", "a photo"]).stdout.split(separator: "\n").map(String.init)
        for path in added { XCTAssertTrue(all.contains(path), "\(path) not found after restart") }
    }

    func testSecondDaemonOnTheSameStateDirectoryIsRefused() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqe")
        let daemon = try DaemonProcess(self, directory: dir)
        try daemon.start()
        let second = try TestEnvironment.run(try DaemonProcess.binary("photoqd"),
                                             ["--root", daemon.root, "--db", daemon.db, "--socket", dir + "/other.sock",
                                              "--models", TestEnvironment.modelDirectory])
        XCTAssertEqual(second.status, 75)
        XCTAssertTrue(String(decoding: second.stderr, as: UTF8.self).contains("another photoqd"))
        XCTAssertNoThrow(try daemon.status())
    }

    func testSocketActivation() throws {
        let activate = "/usr/bin/systemd-socket-activate"
        guard FileManager.default.isExecutableFile(atPath: activate) else { throw XCTSkip("systemd-socket-activate is not installed") }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqe")
        let daemon = try DaemonProcess(self, directory: dir)
        let socket = dir + "/activated.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: activate)
        p.arguments = ["-l", socket, try DaemonProcess.binary("photoqd")] + daemon.arguments.map { $0 == daemon.socket ? dir + "/unused.sock" : $0 }
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        // In-process client: a child process started while systemd-socket-activate
        // is still exec'ing can miss Foundation's reaping on Linux.
        try eventually("activated daemon answers", timeout: 60) {
            (try? DaemonConnection(path: socket, timeout: 10).call(.status, expecting: StatusResult.self)) != nil
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/unused.sock"), "with LISTEN_FDS the daemon must not bind its own socket")
    }

    func testJournalPrioritiesWhenStderrIsTheJournal() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqe")
        let logPath = dir + "/err.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        var st = stat()
        XCTAssertEqual(stat(logPath, &st), 0)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try DaemonProcess.binary("photoqd"))
        // A file where a root should be: a configuration error (a missing root is not one).
        _ = FileManager.default.createFile(atPath: dir + "/not-a-folder", contents: Data())
        p.arguments = ["--root", dir + "/not-a-folder", "--db", dir + "/state", "--socket", dir + "/s.sock"]
        p.environment = ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)", "HOME": dir]
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 78)
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("<3>root "), log)
    }
}
