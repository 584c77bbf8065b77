import Foundation
import XCTest
import PhotoqProtocol
@testable import Daemon

/// The watcher, scanner and writer together (in process, stand-in embedder):
/// the index follows copies, renames, moves, deletes and overwrites.
final class LibraryFollowingTests: XCTestCase {
    private let fm = FileManager.default

    func testIndexFollowsCopyRenameMoveDeleteAndOverwrite() throws {
        let d = try InProcessDaemon(self)
        try d.start()
        try d.settle("empty library indexed")
        let lib = d.library

        // A folder made after start is watched and scanned.
        try FakePhoto.write(lib + "/trip/a.jpg", seed: 1)
        try FakePhoto.write(lib + "/trip/b.JPG", seed: 2)
        try FakePhoto.write(lib + "/trip/notes.txt", seed: 3)
        try eventually("two photos indexed") { try d.indexedPaths() == [lib + "/trip/a.jpg", lib + "/trip/b.JPG"] }
        let idA = try d.get(path: lib + "/trip/a.jpg").id
        let embeddedBefore = d.embedder.embeddedPaths.count

        // Rename within a folder: same id, no re-embedding.
        try fm.moveItem(atPath: lib + "/trip/a.jpg", toPath: lib + "/trip/a2.jpg")
        try eventually("rename followed") { try d.indexedPaths() == [lib + "/trip/a2.jpg", lib + "/trip/b.JPG"] }
        XCTAssertEqual(try d.get(path: lib + "/trip/a2.jpg").id, idA)

        // Move between folders, then rename the whole folder.
        try fm.createDirectory(atPath: lib + "/other", withIntermediateDirectories: true)
        try fm.moveItem(atPath: lib + "/trip/b.JPG", toPath: lib + "/other/b.JPG")
        try eventually("move followed") { try d.indexedPaths() == [lib + "/other/b.JPG", lib + "/trip/a2.jpg"] }
        try fm.moveItem(atPath: lib + "/trip", toPath: lib + "/holiday")
        try eventually("folder rename followed") { try d.indexedPaths() == [lib + "/holiday/a2.jpg", lib + "/other/b.JPG"] }
        XCTAssertEqual(try d.get(path: lib + "/holiday/a2.jpg").id, idA)
        // A file created in the renamed folder is seen (its watch was re-pointed).
        try FakePhoto.write(lib + "/holiday/c.jpg", seed: 4)
        try eventually("photo in renamed folder") { try d.indexedPaths().contains(lib + "/holiday/c.jpg") }
        XCTAssertEqual(d.embedder.embeddedPaths.count, embeddedBefore + 1, "moves must reuse stored vectors: \(d.embedder.embeddedPaths)")

        // Overwrite: new content, new vector.
        let before = try d.get(path: lib + "/holiday/a2.jpg").vector
        try FakePhoto.bytes(99, size: 4000).write(to: URL(fileURLWithPath: lib + "/holiday/a2.jpg"))
        try eventually("overwrite re-embedded") { try d.get(path: lib + "/holiday/a2.jpg").vector != before }

        // Delete a photo, then a folder; move one out of the roots and another in.
        try fm.removeItem(atPath: lib + "/holiday/c.jpg")
        try eventually("delete followed") { try !d.indexedPaths().contains(lib + "/holiday/c.jpg") }
        try fm.moveItem(atPath: lib + "/other/b.JPG", toPath: d.directory + "/b-outside.jpg")
        try FakePhoto.write(d.directory + "/incoming/d.jpg", seed: 5)
        try fm.moveItem(atPath: d.directory + "/incoming", toPath: lib + "/incoming")
        try eventually("moved out and in") { try d.indexedPaths() == [lib + "/holiday/a2.jpg", lib + "/incoming/d.jpg"] }
        try fm.removeItem(atPath: lib + "/holiday")
        try eventually("folder delete followed") { try d.indexedPaths() == [lib + "/incoming/d.jpg"] }
    }

    func testHiddenAndExcludedFoldersAreSkipped() throws {
        let d = try InProcessDaemon(self, excludes: ["cache"])
        try FakePhoto.write(d.library + "/.thumbnails/t.jpg", seed: 1)
        try FakePhoto.write(d.library + "/cache/c.jpg", seed: 2)
        try FakePhoto.write(d.library + "/keep/k.jpg", seed: 3)
        try FakePhoto.write(d.library + "/keep/.hidden.jpg", seed: 4)
        try d.start()
        try d.settle("scanned") { $0.indexed == 1 }
        XCTAssertEqual(try d.indexedPaths(), [d.library + "/keep/k.jpg"])
        // Live events below them are ignored as well.
        try FakePhoto.write(d.library + "/.thumbnails/t2.jpg", seed: 5)
        try FakePhoto.write(d.library + "/keep/cache/c2.jpg", seed: 6)
        try FakePhoto.write(d.library + "/keep/k2.jpg", seed: 7)
        try eventually("new photo indexed") { try d.indexedPaths().count == 2 }
        XCTAssertEqual(try d.indexedPaths(), [d.library + "/keep/k.jpg", d.library + "/keep/k2.jpg"])
    }

    func testRestartReconcilesChangesMadeWhileStopped() throws {
        let d = try InProcessDaemon(self)
        let lib = d.library
        for i in 0..<4 { try FakePhoto.write(lib + "/p\(i).jpg", seed: i) }
        try d.start()
        try d.settle("initial scan") { $0.indexed == 4 }
        let movedID = try d.get(path: lib + "/p1.jpg").id
        d.stop()

        try fm.removeItem(atPath: lib + "/p0.jpg")                                     // deleted
        try fm.createDirectory(atPath: lib + "/sub", withIntermediateDirectories: true)
        try fm.moveItem(atPath: lib + "/p1.jpg", toPath: lib + "/sub/moved.jpg")      // moved
        try FakePhoto.bytes(42, size: 999).write(to: URL(fileURLWithPath: lib + "/p2.jpg")) // changed
        try FakePhoto.write(lib + "/new.jpg", seed: 7)                                 // new
        let embeddedBefore = d.embedder.embeddedPaths.count

        try d.start()
        try d.settle("reconciled") { $0.indexed == 4 }
        XCTAssertEqual(try d.indexedPaths(), [lib + "/new.jpg", lib + "/p2.jpg", lib + "/p3.jpg", lib + "/sub/moved.jpg"])
        XCTAssertEqual(try d.get(path: lib + "/sub/moved.jpg").id, movedID, "a move while stopped keeps the record")
        XCTAssertEqual(Set(d.embedder.embeddedPaths.dropFirst(embeddedBefore)), [lib + "/p2.jpg", lib + "/new.jpg"])
    }

    func testBadPhotosAreRecordedAndNotRetriedUntilChanged() throws {
        let d = try InProcessDaemon(self)
        try Data("not a photo".utf8).write(to: URL(fileURLWithPath: d.library + "/bad.jpg"))
        try Data().write(to: URL(fileURLWithPath: d.library + "/empty.jpg"))
        try FakePhoto.write(d.library + "/good.jpg", seed: 1)
        try d.start()
        try d.settle("scanned") { $0.indexed == 1 && $0.failed == 2 }
        let attempts = d.embedder.embeddedPaths.count
        // A rescan (as after an overflow) does not retry unchanged failures.
        d.daemon?.reindexForTests()
        try d.settle("rescanned")
        XCTAssertEqual(d.embedder.embeddedPaths.count, attempts)
        // Fixing the file makes it indexable.
        try FakePhoto.bytes(5).write(to: URL(fileURLWithPath: d.library + "/bad.jpg"))
        try d.settle("fixed photo indexed") { $0.indexed == 2 && $0.failed == 1 }
    }
}
