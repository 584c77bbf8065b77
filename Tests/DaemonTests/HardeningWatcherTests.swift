import Foundation
import Glibc
import XCTest
import PhotoqProtocol
@testable import Daemon

/// Changes the watcher used to miss until a restart (in process, stand-in
/// embedder): hard links, mtime-only changes, symlinks, NFC/NFD twin names,
/// and the way back from polling to inotify.
final class HardeningWatcherTests: XCTestCase {
    func testHardLinkIntoARootIsIndexed() throws {
        let d = try InProcessDaemon(self)
        let outside = d.directory + "/outside/h.jpg"
        try FakePhoto.write(outside, seed: 5)
        try d.start()
        try d.settle("empty library indexed")
        // link(2) raises IN_CREATE only: nothing is written, nothing closed.
        XCTAssertEqual(link(outside, d.library + "/h.jpg"), 0)
        try eventually("hard link indexed") { try d.indexedPaths() == [d.library + "/h.jpg"] }
    }

    func testMtimeChangeAloneIsSeen() throws {
        let d = try InProcessDaemon(self)
        let path = d.library + "/t.jpg"
        try FakePhoto.write(path, seed: 6)
        try d.start()
        try d.settle("indexed") { $0.indexed == 1 }
        let before = try d.get(path: path).modified
        // touch -m: IN_ATTRIB only.
        let earlier = Int(before) - 86_400
        var times = [timespec(tv_sec: earlier, tv_nsec: 0), timespec(tv_sec: earlier, tv_nsec: 0)]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
        try eventually("new mtime recorded") { try d.get(path: path).modified == Double(earlier) }
    }

    func testCreatedAndMovedInSymlinksFollowOnePolicy() throws {
        let d = try InProcessDaemon(self)
        let lib = d.library, outside = d.directory + "/outside"
        try FakePhoto.write(outside + "/o.jpg", seed: 1)
        try FakePhoto.write(outside + "/m.jpg", seed: 2)
        try FakePhoto.write(lib + "/in.jpg", seed: 3)
        // Found by the start-up scan: not indexed.
        XCTAssertEqual(symlink(outside + "/o.jpg", lib + "/scanned.jpg"), 0)
        try d.start()
        try d.settle("indexed") { $0.indexed == 1 }

        // Created in a root or moved in: the same, never indexed. Links to
        // photos outside the roots are not followed...
        XCTAssertEqual(symlink(outside + "/o.jpg", lib + "/created.jpg"), 0)
        XCTAssertEqual(symlink(outside + "/m.jpg", outside + "/moved.jpg"), 0)
        XCTAssertEqual(rename(outside + "/moved.jpg", lib + "/moved.jpg"), 0)
        // ...and a link to a photo in a root does not index it a second time.
        XCTAssertEqual(symlink(lib + "/in.jpg", lib + "/inner.jpg"), 0)
        XCTAssertEqual(symlink(lib + "/in.jpg", outside + "/inner2.jpg"), 0)
        XCTAssertEqual(rename(outside + "/inner2.jpg", lib + "/inner2.jpg"), 0)
        // Links to folders are not entered (this one is a loop).
        XCTAssertEqual(symlink(lib, lib + "/loop"), 0)
        XCTAssertEqual(symlink(outside, lib + "/elsewhere.jpg"), 0)
        // A regular photo moved in after them is indexed: the events before it were handled.
        try FakePhoto.write(outside + "/last.jpg", seed: 4)
        XCTAssertEqual(rename(outside + "/last.jpg", lib + "/last.jpg"), 0)
        try d.settle("events handled") { $0.indexed == 2 }
        usleep(300_000)
        XCTAssertEqual(try d.indexedPaths(), [lib + "/in.jpg", lib + "/last.jpg"])

        // A photo replaced by a link to itself elsewhere is dropped.
        XCTAssertEqual(rename(lib + "/last.jpg", outside + "/last.jpg"), 0)
        XCTAssertEqual(symlink(outside + "/last.jpg", outside + "/last-link.jpg"), 0)
        XCTAssertEqual(rename(outside + "/last-link.jpg", lib + "/last.jpg"), 0)
        try d.settle("link replaced the photo") { $0.indexed == 1 }

        // A rescan applies the same policy and re-embeds nothing.
        let embedded = d.embedder.embeddedPaths.count
        d.stop()
        try d.start()
        try d.settle("restarted") { $0.indexed == 1 }
        usleep(300_000)
        try d.settle("rescanned")
        XCTAssertEqual(try d.indexedPaths(), [lib + "/in.jpg"])
        XCTAssertEqual(d.embedder.embeddedPaths.count, embedded, "\(d.embedder.embeddedPaths.suffix(3))")
    }

    func testNFCAndNFDTwinNamesAreTwoPhotos() throws {
        let d = try InProcessDaemon(self)
        // Different bytes, the same text to Swift's ==.
        let nfc = Array("caf\u{E9}.jpg".utf8), nfd = Array("cafe\u{301}.jpg".utf8)
        XCTAssertNotEqual(nfc, nfd)
        try RawNames.mkdir(Array((d.library + "/a").utf8))
        try RawNames.write(RawNames.path(d.library + "/a", nfc), FakePhoto.bytes(1))
        try RawNames.write(RawNames.path(d.library + "/a", nfd), FakePhoto.bytes(2))
        try d.start()
        try d.settle("twins found by the scan") { $0.indexed == 2 }
        let paths = { Set(try d.search("x").map { Array($0.path.utf8) }) }
        XCTAssertEqual(try paths(), [RawNames.path(d.library + "/a", nfc), RawNames.path(d.library + "/a", nfd)])

        // Twins created while running are two photos too.
        try RawNames.mkdir(Array((d.library + "/b").utf8))
        try RawNames.write(RawNames.path(d.library + "/b", nfc), FakePhoto.bytes(3))
        try RawNames.write(RawNames.path(d.library + "/b", nfd), FakePhoto.bytes(4))
        try d.settle("live twins indexed") { $0.indexed == 4 }
        XCTAssertEqual(try paths().count, 4)

        // Removing one twin leaves the other.
        try RawNames.unlink(RawNames.path(d.library + "/b", nfd))
        try d.settle("one twin removed") { $0.indexed == 3 }
        XCTAssertTrue(try paths().contains(RawNames.path(d.library + "/b", nfc)))

        // A restart finds nothing changed.
        let embedded = d.embedder.embeddedPaths.count
        d.stop()
        try d.start()
        try d.settle("restarted") { $0.indexed == 3 }
        usleep(300_000)
        try d.settle("rescanned")
        XCTAssertEqual(d.embedder.embeddedPaths.count, embedded, "twins re-embedded at start: \(d.embedder.embeddedPaths.suffix(3))")
        XCTAssertEqual(try paths().count, 3)
    }

    func testReturnsFromPollingToInotifyWhenWatchesFreeUp() throws {
        let d = try InProcessDaemon(self)
        for folder in ["a", "b", "c", "d"] { try FakePhoto.write(d.library + "/\(folder)/1.jpg", seed: folder.count) }
        d.configuration.simulatedWatchLimit = 2
        d.configuration.pollInterval = 0.5
        try d.start()
        try eventually("polling") {
            let s = try d.status()
            return s.watcher == "polling" && s.indexed == 4 && s.pending == 0
        }
        // Two folders (root and a) fit in the limit once the others are gone.
        for folder in ["b", "c", "d"] { try FileManager.default.removeItem(atPath: d.library + "/\(folder)") }
        try eventually("back to inotify", timeout: 20) {
            let s = try d.status()
            return s.watcher == "watching" && s.watches == 2 && s.indexed == 1
        }
        try FakePhoto.write(d.library + "/a/2.jpg", seed: 9)
        try d.settle("new photo indexed") { $0.indexed == 2 }
        XCTAssertEqual(try d.status().watcher, "watching")
    }
}

extension HardeningWatcherTests {
    /// A root given as a symlink (to a disk's folder) is watched, not only scanned.
    func testARootThatIsASymlinkIsWatched() throws {
        let d = try InProcessDaemon(self)
        let link = d.directory + "/pictures"
        XCTAssertEqual(symlink(d.library, link), 0)
        d.configuration.roots = [link]
        d.configuration.pollInterval = 3600
        try d.start()
        try d.settle("started") { $0.watches == 1 }
        try FakePhoto.write(link + "/new.jpg", seed: 8)
        try d.settle("new photo indexed from its event") { $0.indexed == 1 }
        XCTAssertEqual(try d.indexedPaths(), [link + "/new.jpg"])
    }
}
