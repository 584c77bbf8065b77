import Foundation
import XCTest
@testable import Index

/// Not a test of its own: the entry point of the child processes started by
/// `ChildProcess.start` (it skips in a normal run). Each scenario ends by
/// being killed or by `exit`, never by returning to XCTest.
final class ChildProcessEntry: XCTestCase {
    static let batchSize = 20

    func testChildProcessScenario() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let mode = environment[ChildProcess.modeVariable],
              let directory = environment[ChildProcess.directoryVariable] else {
            throw XCTSkip("runs only as a child process of the index tests")
        }
        do {
            switch mode {
            case "hold-lock": try holdLock(directory)
            case "stale-reader": try leaveStaleReader(directory)
            case "crash-writer": try writeUntilKilled(directory)
            case "crash-churn": try churnUntilKilled(directory)
            default: break
            }
        } catch {
            FileHandle.standardError.write("child \(mode) failed: \(error)\n".data(using: .utf8)!)
            exit(1)
        }
        exit(2)
    }

    /// Opens the state directory and waits to be killed.
    private func holdLock(_ directory: String) throws {
        let env = try LMDBEnvironment(directory: directory)
        try "ready".write(toFile: directory + "/child-ready", atomically: true, encoding: .utf8)
        sleep(60)
        env.close()
    }

    /// Dies holding a read transaction, leaving its slot in the reader table.
    /// The parent keeps the environment open, so LMDB does not reset the
    /// lock file and only `mdb_reader_check` can clear the slot.
    private func leaveStaleReader(_ directory: String) throws {
        let env = try LMDBEnvironment(directory: directory, lockDirectory: false)
        try env.read { _ in
            kill(getpid(), SIGKILL)
            sleep(60)
        }
    }

    /// Commits batches of `batchSize` records forever, starting with a tiny
    /// map so it also grows while the parent kills it at random moments.
    /// After each commit the batch number goes to `progress`.
    private func writeUntilKilled(_ directory: String) throws {
        let index = try Fixtures.openIndex(directory, mapSize: 64 << 10)
        var batch = try index.counts().photos / Self.batchSize
        while true {
            let records = (0..<Self.batchSize).map { j in
                Fixtures.record(path: Self.crashPath(batch: batch, item: j), seed: Self.crashSeed(batch: batch, item: j))
            }
            try index.upsert(records)
            try "\(batch)".write(toFile: directory + "/progress", atomically: true, encoding: .utf8)
            batch += 1
        }
    }

    /// Like `writeUntilKilled`, but each batch also re-embeds, un-embeds,
    /// moves and deletes earlier photos, so a kill can land in any kind of
    /// change to the search rows.
    private func churnUntilKilled(_ directory: String) throws {
        let index = try Fixtures.openIndex(directory, mapSize: 64 << 10)
        var batch = Int(try index.meta("churn.batch") ?? "0") ?? 0
        while true {
            var changes: [IndexChange] = (0..<Self.batchSize).map { j in
                .upsert(Fixtures.record(path: Self.crashPath(batch: batch, item: j), seed: Self.crashSeed(batch: batch, item: j)))
            }
            if batch > 0 {
                let earlier = batch - 1
                changes.append(.upsert(Fixtures.record(path: Self.crashPath(batch: earlier, item: 1), seed: UInt64(batch) << 20)))
                var waiting = Fixtures.record(path: Self.crashPath(batch: earlier, item: 2), seed: 1)
                waiting.vector = []
                changes.append(.upsert(waiting))
                changes.append(.remove(path: Self.crashPath(batch: earlier, item: 3)))
                changes.append(.move(from: Self.crashPath(batch: earlier, item: 4), to: Self.crashPath(batch: earlier, item: 5)))
            }
            try index.apply(changes)
            try index.setMeta("churn.batch", String(batch + 1))
            try "\(batch)".write(toFile: directory + "/progress", atomically: true, encoding: .utf8)
            batch += 1
        }
    }

    static func crashPath(batch: Int, item: Int) -> String { "/photos/b\(batch)/\(item).jpg" }
    static func crashSeed(batch: Int, item: Int) -> UInt64 { UInt64(batch * 1000 + item + 1) }
}
