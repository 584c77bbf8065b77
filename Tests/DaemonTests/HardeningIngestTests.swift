import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// The ingest pipeline against hostile libraries, with the real binaries:
/// FIFOs named like photos, decompression and CPU bombs, a full disk under
/// the index, photos still being written.
final class HardeningIngestTests: XCTestCase {
    private func python(_ script: String, _ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.python) else {
            if TestEnvironment.requireAssets { XCTFail("no Python at \(TestEnvironment.python)") }
            throw XCTSkip("no Python at \(TestEnvironment.python) (run scripts/install-deps)")
        }
        let r = try TestEnvironment.run(TestEnvironment.python, [TestEnvironment.repoRoot + "/tools/fault/" + script] + arguments)
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
    }

    /// SIGTERM and the seconds until photoqd exited; a daemon still running
    /// after 30 s is killed (status -1) so a hung stop fails the test instead
    /// of hanging it.
    private func timedTerminate(_ daemon: DaemonProcess) -> (status: Int32, seconds: Double) {
        guard let process = daemon.process else { return (-1, 0) }
        let started = Date()
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning && Date().timeIntervalSince(started) < 30 { usleep(20_000) }
        let seconds = Date().timeIntervalSince(started)
        if process.isRunning {
            daemon.kill9()
            return (-1, seconds)
        }
        return (daemon.terminate(), seconds)
    }

    private static func peakRSSMiB(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = line.split(separator: " ").compactMap({ Double($0) }).first else { return nil }
        return kb / 1024
    }

    /// A FIFO in a root, and FIFOs swapped in for photos after the writer
    /// checked them (while a slow photo ahead in the batch is decoding): the
    /// writer never blocks in open(), later photos are indexed, SIGTERM works.
    func testFIFOsNamedLikePhotosNeitherBlockIngestNorStop() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqfifo")
        let daemon = try DaemonProcess(self, directory: dir)
        let photos = try SamplePhotos.coco(12)
        _ = try SamplePhotos.copy(Array(photos.prefix(4)), into: daemon.root + "/first")
        XCTAssertEqual(mkfifo(daemon.root + "/first/pipe.jpg", 0o600), 0)
        try daemon.start()
        try daemon.settle("first photos") { $0.indexed == 4 }

        // Two slow photos (99 scans over 4096², under the scan limit) open the
        // batch; the victims are stat'ed with it, then swapped for FIFOs
        // while the slow ones decode.
        let slow = dir + "/slow"
        try python("ingest_bombs.py", [slow, "--copies", "1", "--scans", "99"])
        let batch = daemon.root + "/batch"
        try FileManager.default.createDirectory(atPath: batch, withIntermediateDirectories: true)
        usleep(300_000) // the watch on the new folder is in place
        try FileManager.default.copyItem(atPath: slow + "/many-scans-0.jpg", toPath: batch + "/a-slow.jpg")
        try FileManager.default.copyItem(atPath: slow + "/many-scans-0.jpg", toPath: batch + "/b-slow.jpg")
        var victims: [String] = []
        for (i, photo) in photos[4..<10].enumerated() {
            let victim = batch + "/victim-\(i).jpg"
            try FileManager.default.copyItem(atPath: photo, toPath: victim)
            victims.append(victim)
        }
        usleep(150_000)
        for victim in victims {
            XCTAssertEqual(mkfifo(victim + ".fifo", 0o600), 0)
            XCTAssertEqual(rename(victim + ".fifo", victim), 0)
        }
        // Photos written afterwards are still indexed.
        _ = try SamplePhotos.copy(Array(photos[10..<12]), into: daemon.root + "/after")
        try daemon.settle("photos after the FIFOs", timeout: 60) { $0.indexed == 6 }
        let status = try daemon.status()
        XCTAssertEqual(status.indexed, 6, daemon.log)
        let stop = timedTerminate(daemon)
        XCTAssertEqual(stop.status, 0, daemon.log)
        XCTAssertLessThan(stop.seconds, 5, "SIGTERM took \(stop.seconds) s")
    }

    /// A few dozen bombs (huge declared sizes, progressive CMYK 10000²,
    /// 5,000-scan progressive, a 1.5 GB sparse file) among normal photos: all
    /// refused with a reason, the photos indexed, peak RSS bounded, and
    /// SIGTERM in the middle of it is prompt.
    func testBombSetIsRefusedWithinBoundedMemory() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqbombs")
        let daemon = try DaemonProcess(self, directory: dir)
        try python("ingest_bombs.py", [daemon.root + "/bombs", "--copies", "5", "--photos",
                                       try TestEnvironment.data("coco-val2017/images"), "--photo-count", "10"])
        let bombs = 5 * 5 + 1

        try daemon.start()
        usleep(500_000) // inside the bombs
        let early = timedTerminate(daemon)
        XCTAssertEqual(early.status, 0, daemon.log)
        XCTAssertLessThan(early.seconds, 5, "SIGTERM during the bombs took \(early.seconds) s")

        try daemon.start()
        try daemon.settle("bomb set", timeout: 180) { $0.indexed + $0.failed == 10 + bombs }
        let status = try daemon.status()
        XCTAssertEqual(status.indexed, 10, daemon.log)
        XCTAssertEqual(status.failed, bombs, daemon.log)
        let classes = status.failedByReason ?? [:]
        XCTAssertEqual(classes["too-large"], 5, "\(classes)")
        // CMYK and colour progressive bombs, 5,000 scans, the sparse file.
        XCTAssertEqual(classes["over-budget"], 16, "\(classes)")
        let pid = try XCTUnwrap(daemon.process?.processIdentifier)
        let peak = try XCTUnwrap(Self.peakRSSMiB(pid: pid))
        print("photoqd peak RSS (VmHWM) over the bomb set: \(Int(peak)) MiB")
        XCTAssertLessThan(peak, 400, "peak RSS \(peak) MiB")
        XCTAssertTrue(daemon.log.contains("more than 100 scans"), daemon.log)
        XCTAssertEqual(try daemon.photoq(["--status", "--json"]).status, 0)
        XCTAssertEqual(timedTerminate(daemon).status, 0)
    }

    /// The index's file system fills up: photos stay pending (none dropped or
    /// failed), status says why, the condition is logged once, and when the
    /// file system grows every photo is indexed without a restart.
    func testFullDiskKeepsPhotosPendingUntilSpaceReturns() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs for --db") }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqfull")
        let daemon = try DaemonProcess(self, directory: dir)
        try FileManager.default.createDirectory(atPath: daemon.db, withIntermediateDirectories: true)
        let mounted = try TestEnvironment.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", daemon.db])
        guard mounted.status == 0 else {
            throw XCTSkip("cannot mount a tmpfs here: \(String(decoding: mounted.stderr, as: UTF8.self))")
        }
        addTeardownBlock { _ = try? TestEnvironment.run("/bin/umount", ["-l", daemon.db]) }
        let sources = try SamplePhotos.coco(100)
        var files: [String] = []
        for folder in ["a", "b"] { files += try SamplePhotos.copy(sources, into: daemon.root + "/" + folder) }

        try daemon.start()
        try eventually("indexing paused\n\(daemon.log.suffix(2000))", timeout: 60) {
            (try? daemon.status())?.indexingPaused != nil
        }
        // Everything the writer could reach is held; nothing is failed or lost.
        try eventually("all photos accounted for", timeout: 60) {
            guard let s = try? daemon.status() else { return false }
            return s.indexed + s.pending == files.count && s.watcher == "watching"
        }
        let paused = try daemon.status()
        XCTAssertEqual(paused.failed, 0, daemon.log)
        XCTAssertGreaterThan(paused.pending, 0)
        XCTAssertTrue(paused.indexingPaused?.hasPrefix("disk full") == true, paused.indexingPaused ?? "")
        let text = try daemon.photoq(["--status"]).stdout
        XCTAssertTrue(text.contains("paused   disk full"), text)
        usleep(3_000_000) // a few retries: still logged once
        XCTAssertEqual(daemon.log.components(separatedBy: "indexing paused").count - 1, 1, daemon.log)

        let pid = daemon.process?.processIdentifier
        XCTAssertEqual(try TestEnvironment.run("/bin/mount", ["-o", "remount,size=64m", daemon.db]).status, 0)
        let grown = Date()
        try daemon.settle("every photo once space returned", timeout: 120) { $0.indexed == files.count }
        print("time to index \(paused.pending) held photos after disk space returned: \(String(format: "%.2f", Date().timeIntervalSince(grown))) s")
        let after = try daemon.status()
        XCTAssertEqual(after.failed, 0)
        XCTAssertNil(after.indexingPaused)
        XCTAssertEqual(after.pid, pid, "the daemon restarted")
        let hits = try DaemonConnection(path: daemon.socket, timeout: 10)
            .call(.search(SearchRequest(text: "a photo", k: 1000, minScore: -1)), expecting: SearchResult.self).hits
            .flatMap(\.everyCopy) // the library holds byte-identical copies, folded into one hit
        XCTAssertEqual(Set(hits.map(\.path)), Set(files))
        XCTAssertEqual(timedTerminate(daemon).status, 0)
    }

    /// A photo still being copied into a new folder is not recorded as
    /// truncated; one whose writer went away is, once it has been quiet.
    func testPhotoStillBeingWrittenIsNotRecordedAsTruncated() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqpart")
        let daemon = try DaemonProcess(self, directory: dir)
        try daemon.start()
        let photo = try Data(contentsOf: URL(fileURLWithPath: try SamplePhotos.coco(1)[0]))

        // The folder arrives with a half-written photo the copier still has open.
        let staging = dir + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: staging + "/copying.jpg", contents: nil))
        let writing = try XCTUnwrap(FileHandle(forWritingAtPath: staging + "/copying.jpg"))
        writing.write(photo.prefix(photo.count / 2))
        XCTAssertEqual(rename(staging, daemon.root + "/new"), 0)
        let watchUntil = Date().addingTimeInterval(1.5)
        var sawPending = false
        while Date() < watchUntil {
            let s = try daemon.status()
            guard s.failed == 0 else {
                XCTFail("recorded while still being written:\n\(daemon.log.suffix(1500))")
                break
            }
            if s.pending > 0 { sawPending = true }
            usleep(50_000)
        }
        XCTAssertTrue(sawPending, "the photo being written should count as pending")
        writing.write(photo.suffix(from: photo.count / 2))
        try writing.close()
        try daemon.settle("the finished photo") { $0.indexed == 1 }
        XCTAssertEqual(try daemon.status().failed, 0, daemon.log)

        // A truncated photo nobody is writing any more is recorded.
        try photo.prefix(photo.count / 3).write(to: URL(fileURLWithPath: daemon.root + "/new/abandoned.jpg"))
        try daemon.settle("the abandoned photo", timeout: 30) { $0.failed == 1 }
        XCTAssertEqual(try daemon.status().failedByReason, ["truncated": 1])
        XCTAssertEqual(timedTerminate(daemon).status, 0)
    }
}
