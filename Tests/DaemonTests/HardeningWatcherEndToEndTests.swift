import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// The real photoqd and photoq: names that are not UTF-8, and roots that
/// are missing at start or vanish and come back.
final class HardeningWatcherEndToEndTests: XCTestCase {
    private func sample(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try TestEnvironment.data("samples") + "/" + name))
    }

    func testNamesThatAreNotUTF8AreIndexedSearchedAndReturnedAsTheirBytes() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqh")
        let daemon = try DaemonProcess(self, directory: dir)
        // caf\xe9.jpg (Latin-1) and a folder \xff\xfe/, neither UTF-8.
        let latin1 = RawNames.path(daemon.root, Array("caf".utf8) + [0xE9] + Array(".jpg".utf8))
        let folder = RawNames.path(daemon.root, [0xFF, 0xFE])
        let inFolder = folder + Array("/giraffe.jpg".utf8)
        try RawNames.write(latin1, try sample("dog.jpg"))
        try RawNames.mkdir(folder)
        try RawNames.write(inFolder, try sample("giraffe.jpg"))
        try daemon.start()
        try daemon.settle("both indexed") { $0.indexed == 2 && $0.failed == 0 }

        // -0 writes the exact bytes; xargs -0 can open them.
        let photoq = try DaemonProcess.binary("photoq")
        let nul = try TestEnvironment.run(photoq, ["--socket", daemon.socket, "--min-score", "-1", "-0", "-n", "5", "a dog"])
        XCTAssertEqual(nul.status, 0, String(decoding: nul.stderr, as: UTF8.self))
        let paths = nul.stdout.split(separator: 0).map { Array($0) }
        XCTAssertEqual(paths, [latin1, inFolder])
        let ls = try TestEnvironment.run("/bin/sh", ["-c", "\"$0\" --socket \"$1\" --min-score -1 -0 -n 5 'a dog' | xargs -0 ls --", photoq, daemon.socket])
        XCTAssertEqual(ls.status, 0, String(decoding: ls.stderr, as: UTF8.self))

        // Such a name given on the command line reaches the daemon as its bytes.
        let similar = try TestEnvironment.run("/bin/sh", ["-c", "\"$0\" --socket \"$1\" -0 -n 1 --similar \"$(printf '%s/caf\\351.jpg' \"$2\")\"",
                                                          photoq, daemon.socket, daemon.root])
        XCTAssertEqual(similar.status, 0, String(decoding: similar.stderr, as: UTF8.self))
        XCTAssertEqual(similar.stdout.split(separator: 0).map { Array($0) }, [inFolder])

        // Lines are for people: escaped.
        let lines = try daemon.photoq(["--min-score", "-1", "-n", "5", "a dog"])
        XCTAssertEqual(lines.stdout, daemon.root + "/caf\\xe9.jpg\n" + daemon.root + "/\\xff\\xfe/giraffe.jpg\n")
        // JSON: path for people, path_bytes (base64) exact.
        let json = try daemon.photoq(["--min-score", "-1", "--json", "-n", "5", "a dog"])
        let results = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["results"] as? [[String: Any]]
        let decoded = results?.compactMap { ($0["path_bytes"] as? String).flatMap { Data(base64Encoded: $0) }.map { Array($0) } }
        XCTAssertEqual(decoded, [latin1, inFolder])
        XCTAssertEqual(results?.first?["path"] as? String, daemon.root + "/caf\\xe9.jpg")

        // Live events on such names: a new one is indexed, a deleted one dropped.
        let nino = RawNames.path(daemon.root, Array("ni".utf8) + [0xF1] + Array("o.jpg".utf8))
        try RawNames.write(nino, try sample("horses.jpg"))
        try daemon.settle("new Latin-1 name indexed") { $0.indexed == 3 }
        try RawNames.unlink(latin1)
        try daemon.settle("deleted Latin-1 name dropped") { $0.indexed == 2 }
        let after = try TestEnvironment.run(photoq, ["--socket", daemon.socket, "-0", "-n", "5", "horses in a field"])
        XCTAssertEqual(Set(after.stdout.split(separator: 0).map { Array($0) }), [nino, inFolder])

        // A restart finds nothing new or changed.
        XCTAssertEqual(daemon.terminate(), 0)
        try daemon.start()
        try daemon.settle("restarted") { $0.indexed == 2 }
        try eventually("start-up scan logged") { daemon.log.components(separatedBy: "scanned ").count >= 3 }
        let lastScan = daemon.log.components(separatedBy: "scanned ").last ?? ""
        XCTAssertTrue(lastScan.contains("scan.new=0 scan.changed=0"), lastScan)
        XCTAssertTrue(lastScan.contains("scan.files=2"), lastScan)
    }

    func testStartsWithAMissingRootAndPicksItUpWhenItAppears() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqh")
        let daemon = try DaemonProcess(self, directory: dir)
        try FileManager.default.removeItem(atPath: daemon.root)
        try daemon.start()
        try eventually("missing root reported") { try daemon.status().rootsMissing == [daemon.root] }
        let status = try daemon.photoq(["--status", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["roots_missing"] as? [String], [daemon.root])
        XCTAssertTrue(try daemon.photoq(["--status"]).stdout.contains("(missing: " + daemon.root + ";"), status.stdout)
        XCTAssertTrue(daemon.log.contains("root \(daemon.root) is missing"), daemon.log)

        // The disk arrives: watched and scanned within seconds.
        _ = try SamplePhotos.copy([try TestEnvironment.data("samples") + "/dog.jpg"], into: daemon.root)
        try daemon.settle("photo in the new root indexed", timeout: 60) { $0.indexed == 1 && $0.rootsMissing == [] }
        try FileManager.default.copyItem(atPath: try TestEnvironment.data("samples") + "/kite.jpg", toPath: daemon.root + "/kite.jpg")
        try daemon.settle("and followed by events") { $0.indexed == 2 }
    }

    func testARootThatVanishesIsHiddenNotDeletedAndReconciledWhenItReturns() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqh")
        let daemon = try DaemonProcess(self, directory: dir)
        let samples = try TestEnvironment.data("samples")
        _ = try SamplePhotos.copy(["dog.jpg", "giraffe.jpg", "horses.jpg"].map { samples + "/" + $0 }, into: daemon.root)
        try daemon.start()
        try daemon.settle("indexed") { $0.indexed == 3 }

        // Moved away (as an unmount looks to the daemon): hidden, not deleted.
        let away = dir + "/away"
        try FileManager.default.moveItem(atPath: daemon.root, toPath: away)
        try eventually("vanished root reported") { try daemon.status().rootsMissing == [daemon.root] }
        var s = try daemon.status()
        XCTAssertEqual(s.indexed, 3)
        XCTAssertEqual(s.hidden, 3)
        let hidden = try daemon.photoq(["--min-score", "-1", "a dog"])
        XCTAssertEqual(hidden.status, 1, "hidden photos must not be returned: \(hidden.stdout)")
        XCTAssertEqual(hidden.stdout, "")
        let similar = try daemon.photoq(["--similar", daemon.root + "/giraffe.jpg"])
        XCTAssertEqual(similar.status, 1, "hidden photos must not be similar to anything: \(similar.stdout)")

        // A restart while it is away keeps the index.
        XCTAssertEqual(daemon.terminate(), 0)
        try daemon.start()
        try eventually("still missing after restart") { try daemon.status().rootsMissing == [daemon.root] }
        s = try daemon.status()
        XCTAssertEqual(s.indexed, 3)
        XCTAssertEqual(try daemon.photoq(["--min-score", "-1", "a dog"]).status, 1)

        // Changed while away, then back: watched again and reconciled.
        try FileManager.default.removeItem(atPath: away + "/giraffe.jpg")
        try FileManager.default.copyItem(atPath: samples + "/kite.jpg", toPath: away + "/kite.jpg")
        try FileManager.default.moveItem(atPath: away, toPath: daemon.root)
        try daemon.settle("reconciled", timeout: 60) { $0.indexed == 3 && $0.rootsMissing == [] && $0.hidden == 0 }
        let back = try daemon.photoq(["--min-score", "-1", "-n", "10", "a dog"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(Set(back.stdout.split(separator: "\n").map(String.init)),
                       Set(["dog.jpg", "horses.jpg", "kite.jpg"].map { daemon.root + "/" + $0 }))
        XCTAssertEqual(back.stdout.split(separator: "\n").first.map(String.init), daemon.root + "/dog.jpg")
        try FileManager.default.copyItem(atPath: samples + "/eagle.jpg", toPath: daemon.root + "/eagle.jpg")
        try daemon.settle("events followed again") { $0.indexed == 4 }
    }

    /// A real unmount where the system allows mounting (root): the disk is
    /// a tmpfs, bind-mounted at the root, so its files survive the unmount
    /// and the mount point left behind is an empty folder on another device.
    func testAnUnmountedDiskKeepsItsIndexAndIsReconciledWhenMountedAgain() throws {
        guard getuid() == 0 else { throw XCTSkip("mounting needs root") }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqh")
        let daemon = try DaemonProcess(self, directory: dir)
        let disk = dir + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        func mount(_ arguments: [String]) throws -> Int32 { try TestEnvironment.run("/bin/mount", arguments).status }
        guard try mount(["-t", "tmpfs", "-o", "size=64m", "tmpfs", disk]) == 0 else { throw XCTSkip("cannot mount a tmpfs here") }
        addTeardownBlock {
            _ = try? TestEnvironment.run("/bin/umount", ["-l", daemon.root])
            _ = try? TestEnvironment.run("/bin/umount", ["-l", disk])
        }
        let samples = try TestEnvironment.data("samples")
        _ = try SamplePhotos.copy(["dog.jpg", "giraffe.jpg", "horses.jpg"].map { samples + "/" + $0 }, into: disk)
        XCTAssertEqual(try mount(["--bind", disk, daemon.root]), 0)
        try daemon.start()
        try daemon.settle("indexed") { $0.indexed == 3 }

        XCTAssertEqual(try TestEnvironment.run("/bin/umount", [daemon.root]).status, 0)
        try eventually("unmounted root reported") { try daemon.status().rootsMissing == [daemon.root] }
        // The empty mount point is not the disk coming back.
        usleep(4_500_000)
        var s = try daemon.status()
        XCTAssertEqual(s.rootsMissing, [daemon.root])
        XCTAssertEqual(s.indexed, 3)
        XCTAssertEqual(try daemon.photoq(["--min-score", "-1", "a dog"]).status, 1)
        // Nor at start-up.
        XCTAssertEqual(daemon.terminate(), 0)
        try daemon.start()
        try eventually("missing at start-up") { try daemon.status().rootsMissing == [daemon.root] }
        s = try daemon.status()
        XCTAssertEqual(s.indexed, 3)

        try FileManager.default.removeItem(atPath: disk + "/giraffe.jpg")
        XCTAssertEqual(try mount(["--bind", disk, daemon.root]), 0)
        try daemon.settle("remounted and reconciled", timeout: 60) { $0.indexed == 2 && $0.rootsMissing == [] }
        let back = try daemon.photoq(["--min-score", "-1", "-n", "10", "a dog"])
        XCTAssertEqual(Set(back.stdout.split(separator: "\n").map(String.init)), [daemon.root + "/dog.jpg", daemon.root + "/horses.jpg"])
        let lastScan = daemon.log.components(separatedBy: "scanned ").last ?? ""
        XCTAssertTrue(lastScan.contains("scan.new=0 scan.changed=0"), "the same disk must not be re-embedded: \(lastScan)")
    }
}
