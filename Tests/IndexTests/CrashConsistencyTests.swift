import Foundation
import XCTest
@testable import Index
import TestSupport

/// Kills a writing process with SIGKILL at random moments (mid-batch, during
/// commit, while the map grows) and checks that every reopen sees whole
/// batches only, with every reported commit durable.
final class CrashConsistencyTests: XCTestCase {
    func testKillingAWriterNeverLeavesPartialBatches() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        var rng = SeededGenerator(seed: UInt64(getpid()))
        for round in 0..<10 {
            let progressFile = dir + "/progress"
            try? FileManager.default.removeItem(atPath: progressFile)
            let child = try ChildProcess.start(mode: "crash-writer", directory: dir)
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            XCTAssertTrue(ChildProcess.wait(timeout: 30) { FileManager.default.fileExists(atPath: progressFile) },
                          "round \(round): the child committed nothing")
            usleep(UInt32.random(in: 0..<30_000, using: &rng))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .uncaughtSignal, "round \(round): child exited on its own")
            let reported = Int((try? String(contentsOfFile: progressFile, encoding: .utf8)) ?? "") ?? -1
            try verify(dir, committedAtLeast: reported + 1, round: round)
        }
    }

    /// The search rows change in the same transactions as the records, so
    /// no kill can leave a row stale, missing or outliving its photo.
    func testKillingAChurningWriterLeavesRowsInStepWithRecords() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        var rng = SeededGenerator(seed: UInt64(getpid()) ^ 0x5EED)
        for round in 0..<6 {
            let progressFile = dir + "/progress"
            try? FileManager.default.removeItem(atPath: progressFile)
            let child = try ChildProcess.start(mode: "crash-churn", directory: dir)
            defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
            XCTAssertTrue(ChildProcess.wait(timeout: 30) { FileManager.default.fileExists(atPath: progressFile) },
                          "round \(round): the child committed nothing")
            usleep(UInt32.random(in: 0..<30_000, using: &rng))
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .uncaughtSignal, "round \(round): child exited on its own")
            let index = try Fixtures.openIndex(dir)
            defer { index.close() }
            XCTAssertEqual(index.corruptRecordIDsAtOpen, [])
            try assertRowsMatchRecords(index, "round \(round)")
        }
        let index = try Fixtures.openIndex(dir)
        defer { index.close() }
        XCTAssertGreaterThan(Int(try index.meta("churn.batch") ?? "0") ?? 0, 1, "the child churned too little to test anything")
    }

    private func verify(_ dir: String, committedAtLeast: Int, round: Int) throws {
        let index = try Fixtures.openIndex(dir)
        defer { index.close() }
        let size = ChildProcessEntry.batchSize
        let counts = try index.counts()
        XCTAssertEqual(counts.photos % size, 0, "round \(round): \(counts.photos) records is not whole batches")
        let batches = counts.photos / size
        XCTAssertGreaterThanOrEqual(batches, committedAtLeast, "round \(round): a reported commit was lost")
        XCTAssertEqual(counts.embedded, counts.photos)
        XCTAssertEqual(try index.meta(MetaKey.nextID), String(counts.photos + 1))
        for batch in 0..<batches {
            for item in [0, size - 1] {
                let path = ChildProcessEntry.crashPath(batch: batch, item: item)
                let record = try XCTUnwrap(index.lookup(path: path), "round \(round): \(path) missing")
                let expected = Fixtures.record(path: path, seed: ChildProcessEntry.crashSeed(batch: batch, item: item))
                XCTAssertEqual(record.vector, expected.vector)
                XCTAssertEqual(record.feature, Float16Coding.rounded(expected.feature))
                XCTAssertEqual(record.id, UInt64(batch * size + item + 1))
            }
        }
        try index.environment.read { txn in
            XCTAssertEqual(try txn.count(index.environment.paths), counts.photos)
        }
        XCTAssertEqual(index.corruptRecordIDsAtOpen, [])
        try assertRowsMatchRecords(index, "round \(round)")
    }
}
