import Foundation
import XCTest
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// A burst of file creations larger than the kernel's inotify queue
/// (fs.inotify.max_queued_events) while the writer is held back: the
/// watcher waits on the full ingest queue, the kernel drops events, and the
/// overflow's rescan must still bring the index to exactly the files on disk.
final class InotifyOverflowTests: XCTestCase {
    func testIndexConvergesAfterQueueOverflow() throws {
        let maxQueued = (try? String(contentsOfFile: "/proc/sys/fs/inotify/max_queued_events", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 16384
        // Each new file raises IN_CREATE and IN_CLOSE_WRITE.
        let count = maxQueued / 2 + 2000
        let embedder = GatedEmbedder()
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqo")
        let library = dir + "/library"
        try FileManager.default.createDirectory(atPath: library + "/burst", withIntermediateDirectories: true)
        var configuration = DaemonConfiguration(roots: [library], stateDirectory: dir + "/state", socketPath: dir + "/photoq.sock",
                                                threads: 1, batchSize: 256, queueCapacity: 256, clientTimeout: 2, logLevel: .error)
        configuration.pollInterval = 3600
        let daemon = try PhotoDaemon(configuration: configuration, embedder: embedder, log: Log(threshold: ProcessInfo.processInfo.environment["PQ_DEBUG"] != nil ? .debug : .error), environment: [:])
        daemon.start()
        defer { daemon.stop() }
        usleep(200_000) // watches in place

        let bytes = FakePhoto.bytes(1, size: 16)
        for i in 0..<count {
            var unique = bytes
            unique.append(contentsOf: withUnsafeBytes(of: UInt32(i)) { Array($0) })
            FileManager.default.createFile(atPath: library + "/burst/\(i).jpg", contents: unique)
        }
        usleep(300_000)
        embedder.release()

        let status = { try DaemonConnection(path: configuration.socketPath, timeout: 10).call(.status, expecting: StatusResult.self) }
        try eventually("all \(count) photos indexed", timeout: 240) {
            let s = try status()
            return s.indexed == count && s.pending == 0 && s.watcher == "watching"
        }
        XCTAssertGreaterThan(daemon.watcherOverflows, 0, "the burst did not overflow the inotify queue; the test proves nothing")
        XCTAssertEqual(try status().failed, 0)
    }
}
