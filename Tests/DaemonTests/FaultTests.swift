import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// Crashes, bad files and unwelcome clients against the real binaries.
final class FaultTests: XCTestCase {
    /// kill -9 at random points of an ingest, ten times; afterwards every
    /// photo is indexed exactly once, nothing stale remains and LMDB opens.
    func testKill9DuringIngestLosesAndDuplicatesNothing() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqk")
        let daemon = try DaemonProcess(self, directory: dir)
        let sources = try SamplePhotos.coco(40)
        var files: [String] = []
        for folder in 0..<8 { files += try SamplePhotos.copy(sources, into: daemon.root + "/\(folder)") }
        var generator = SystemRandomNumberGenerator()
        var interrupted = 0
        var indexedBefore = 0
        for round in 0..<10 {
            try daemon.start()
            // Kill once this run has committed something, at a random point of the next batches.
            try eventually("progress in round \(round)", timeout: 60) { ((try? daemon.status())?.indexed ?? 0) > indexedBefore }
            usleep(UInt32.random(in: 0...300_000, using: &generator))
            let seen = (try? daemon.status())?.indexed ?? 0
            if seen < files.count { interrupted += 1 }
            indexedBefore = seen
            // Change the library between crashes too: a stale entry must not survive.
            if round == 4 { try FileManager.default.removeItem(atPath: files.removeLast()) }
            if round == 6 {
                let moved = daemon.root + "/0/moved-\(round).jpg"
                try FileManager.default.moveItem(atPath: files.removeLast(), toPath: moved)
                files.append(moved)
            }
            daemon.kill9()
        }
        XCTAssertGreaterThanOrEqual(interrupted, 8, "too few kills landed during the ingest; the test proves little")
        try daemon.start()
        try daemon.settle("all photos after the crashes", timeout: 300) { $0.indexed == files.count }
        let status = try daemon.status()
        XCTAssertEqual(status.failed, 0, daemon.log)
        let hits = try DaemonConnection(path: daemon.socket, timeout: 10)
            .call(.search(SearchRequest(text: "a photo", k: 1000, minScore: -1)), expecting: SearchResult.self).hits
            .flatMap(\.everyCopy) // the library holds byte-identical copies, folded into one hit
        XCTAssertEqual(hits.count, files.count)
        XCTAssertEqual(Set(hits.map(\.path)), Set(files), "lost or stale entries")
        XCTAssertEqual(Set(hits.map(\.id)).count, hits.count, "duplicate ids")
        XCTAssertFalse(daemon.log.contains("unreadable records"), daemon.log)
        XCTAssertEqual(daemon.terminate(), 0)
    }

    func testBadFilesAreRecordedAsFailedAndTheDaemonLives() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqf")
        let daemon = try DaemonProcess(self, directory: dir)
        try daemon.start()
        let good = try Data(contentsOf: URL(fileURLWithPath: try SamplePhotos.samples()[0]))
        let bad = daemon.root + "/bad"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        try good.prefix(good.count / 3).write(to: URL(fileURLWithPath: bad + "/truncated.jpg"))
        try Data().write(to: URL(fileURLWithPath: bad + "/empty.jpg"))
        try Data("just some text\n".utf8).write(to: URL(fileURLWithPath: bad + "/notes.jpg"))
        var corrupt = good
        for i in stride(from: 600, to: corrupt.count - 2, by: 7) { corrupt[i] = 0xFF }
        try corrupt.write(to: URL(fileURLWithPath: bad + "/corrupt.jpg"))
        try Self.hugeDimensions(good).write(to: URL(fileURLWithPath: bad + "/huge.jpg"))
        try good.write(to: URL(fileURLWithPath: daemon.root + "/good.jpg"))
        try daemon.settle("bad files recorded") { $0.indexed + $0.failed == 6 }
        let s = try daemon.status()
        XCTAssertEqual(s.indexed, 1, daemon.log)
        // A damaged tail may still decode; everything else must fail.
        XCTAssertGreaterThanOrEqual(s.failed, 4, daemon.log)
        XCTAssertNotNil(daemon.process?.isRunning == true ? true : nil, "photoqd died:\n\(daemon.log)")
        XCTAssertEqual(try daemon.photoq(["-n", "1", "a dog"]).stdout, daemon.root + "/good.jpg\n")
    }

    /// A JPEG whose frame header claims 65000×65000 pixels.
    static func hugeDimensions(_ jpeg: Data) -> Data {
        var bytes = [UInt8](jpeg)
        var i = 2
        while i + 9 < bytes.count {
            guard bytes[i] == 0xFF else { break }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xC2).contains(marker) {
                bytes[i + 5] = 0xFD; bytes[i + 6] = 0xE8 // height 65000
                bytes[i + 7] = 0xFD; bytes[i + 8] = 0xE8 // width 65000
                break
            }
            i += 2 + length
        }
        return Data(bytes)
    }

    func testAnotherUserIsRefused() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to act as another user")
        }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqu")
        let daemon = try DaemonProcess(self, directory: dir)
        try daemon.start()
        // Open the folder and socket so only SO_PEERCRED stands in the way.
        chmod(dir, 0o755)
        chmod(dir + "/run", 0o755)
        chmod(daemon.socket, 0o777)
        let r = try TestEnvironment.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                             try DaemonProcess.binary("photoq"), "--socket", daemon.socket, "--status"])
        let stderr = String(decoding: r.stderr, as: UTF8.self)
        if stderr.contains("Permission denied") && r.status != 77 {
            throw XCTSkip("uid 65534 cannot reach the binaries here: \(stderr)")
        }
        XCTAssertEqual(r.status, 77, stderr)
        // photoq checks the server's uid first (SO_PEERCRED); the daemon's own refusal is in HardeningServerEndToEndTests.
        XCTAssertTrue(stderr.contains("served by uid \(getuid())"), stderr)
        XCTAssertNoThrow(try daemon.status(), "the daemon keeps serving its owner")
    }
}
