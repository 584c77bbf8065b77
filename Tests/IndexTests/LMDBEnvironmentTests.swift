import Foundation
import XCTest
@testable import Index
import TestSupport

final class LMDBEnvironmentTests: XCTestCase {
    private func key(_ i: Int) -> [UInt8] { Array(String(format: "k%08d", i).utf8) }

    func testBatchIsAppliedInOneTransactionAndSurvivesReopen() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        var env: LMDBEnvironment? = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        try env!.apply((0..<100).map { .put(env!.meta, key: key($0), value: [UInt8($0)]) })
        try env!.apply([.delete(env!.meta, key: key(5)), .put(env!.meta, key: key(6), value: [66])])
        env!.close()
        env = nil
        let reopened = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        defer { reopened.close() }
        try reopened.read { txn in
            XCTAssertEqual(try txn.count(reopened.meta), 99)
            XCTAssertNil(try txn.get(reopened.meta, key: key(5)))
            XCTAssertEqual(try txn.get(reopened.meta, key: key(6)), [66])
            XCTAssertEqual(try txn.get(reopened.meta, key: key(99)), [99])
        }
    }

    func testThrowingWriteLeavesNothingBehind() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        struct Interrupted: Error {}
        XCTAssertThrowsError(try env.write { txn in
            for i in 0..<50 { try txn.put(env.photos, key: key(i), value: [1, 2, 3]) }
            throw Interrupted()
        })
        env.close()
        // Closing and reopening: the uncommitted puts were never written.
        let reopened = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.read { try $0.count(reopened.photos) }, 0)
    }

    func testReadersDoNotWaitForAnOpenWriteTransaction() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        defer { env.close() }
        try env.apply([.put(env.meta, key: [1], value: [10])])
        let writing = DispatchSemaphore(value: 0), readerDone = DispatchSemaphore(value: 0)
        let writer = Thread {
            try? env.write { txn in
                try txn.put(env.meta, key: [1], value: [20])
                writing.signal()
                // Keep the transaction open until the reader has finished.
                _ = readerDone.wait(timeout: .now() + 10)
            }
        }
        writer.start()
        XCTAssertEqual(writing.wait(timeout: .now() + 10), .success)
        let start = Date()
        // The reader sees the last committed value, not the pending one, at once.
        XCTAssertEqual(try env.read { try $0.get(env.meta, key: [1]) }, [10])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the read waited for the writer")
        readerDone.signal()
        XCTAssertTrue(ChildProcess.wait(timeout: 10) { (try? env.read { try $0.get(env.meta, key: [1]) }) == [20] })
    }

    func testMapGrowsInsteadOfFailing() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 64 << 10)
        let initial = env.mapSize
        let value = [UInt8](repeating: 0xAB, count: 3000)
        // ~6 MB in batches of 100: far beyond 64 KiB.
        for batch in 0..<20 {
            try env.apply((0..<100).map { .put(env.photos, key: key(batch * 100 + $0), value: value) })
        }
        XCTAssertGreaterThanOrEqual(env.mapGrowthCount, 3)
        XCTAssertGreaterThanOrEqual(env.mapSize, initial << 3)
        try env.read { txn in
            XCTAssertEqual(try txn.count(env.photos), 2000)
            XCTAssertEqual(try txn.get(env.photos, key: key(1999)), value)
        }
        let grown = env.mapSize
        env.close()
        // Reopening with the small request keeps the grown map.
        let reopened = try LMDBEnvironment(directory: dir, mapSize: 64 << 10)
        defer { reopened.close() }
        XCTAssertEqual(reopened.mapSize, grown)
        XCTAssertEqual(try reopened.read { try $0.count(reopened.photos) }, 2000)
    }

    func testAPendingMapGrowthDoesNotHoldUpNewReaders() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 64 << 10)
        defer { env.close() }
        try env.apply([.put(env.meta, key: [1], value: [1])])
        // A long reader (like a library scan) keeps a transaction open...
        let scanning = DispatchSemaphore(value: 0), finishScan = DispatchSemaphore(value: 0)
        Thread {
            try? env.read { _ in
                scanning.signal()
                _ = finishScan.wait(timeout: .now() + 20)
            }
        }.start()
        XCTAssertEqual(scanning.wait(timeout: .now() + 10), .success)
        // ...so a write that must grow the map waits for it...
        let written = DispatchSemaphore(value: 0)
        let growths = env.mapGrowthCount
        Thread {
            try? env.write { txn in try txn.put(env.photos, key: [2], value: [UInt8](repeating: 3, count: 1 << 20)) }
            written.signal()
        }.start()
        usleep(200_000) // let the writer hit MDB_MAP_FULL and wait to grow
        // ...while new readers still get through at once.
        let start = Date()
        XCTAssertEqual(try env.read { try $0.get(env.meta, key: [1]) }, [1])
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "a reader queued behind the pending growth")
        XCTAssertEqual(env.mapGrowthCount, growths, "the map grew under an open reader")
        finishScan.signal()
        XCTAssertEqual(written.wait(timeout: .now() + 20), .success, "the write never completed")
        XCTAssertGreaterThan(env.mapGrowthCount, growths)
        XCTAssertEqual(try env.read { try $0.get(env.photos, key: [2])?.count }, 1 << 20)
    }

    func testAValueLargerThanTheWholeMapStillFits() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 64 << 10)
        defer { env.close() }
        let big = [UInt8](repeating: 7, count: 1 << 20)
        try env.write { txn in try txn.put(env.photos, key: key(1), value: big) }
        XCTAssertEqual(try env.read { try $0.get(env.photos, key: key(1)) }, big)
    }

    func testErrorsAreTyped() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        XCTAssertThrowsIndexError(try env.write { txn in
            try txn.put(env.meta, key: [UInt8](repeating: 1, count: 600), value: [1])
        }, .invalidArgument)
        XCTAssertThrowsError(try env.read { txn in try txn.put(env.meta, key: [1], value: [1]) }) { error in
            // Writing in a read-only transaction: LMDB's EACCES, with its message.
            XCTAssertEqual((error as? IndexError)?.code, .lmdb)
            XCTAssertEqual((error as? IndexError)?.lmdbReturnCode, EACCES)
            XCTAssertNotNil((error as? IndexError)?.cause)
        }
        env.close()
        XCTAssertThrowsIndexError(try env.read { _ in 1 }, .closed)
    }

    func testSecondOpenInTheSameProcessIsRefused() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        XCTAssertThrowsError(try LMDBEnvironment(directory: dir)) { error in
            XCTAssertEqual((error as? IndexError)?.code, .locked)
            XCTAssertEqual((error as? IndexError)?.message, "another photoqd is using \(dir) (pid \(getpid()))")
        }
        env.close()
        // Released by close: a new open succeeds.
        try LMDBEnvironment(directory: dir, mapSize: 1 << 20).close()
    }

    func testAnotherProcessHoldingTheDirectoryIsNamed() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let child = try ChildProcess.start(mode: "hold-lock", directory: dir)
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        XCTAssertTrue(ChildProcess.wait(timeout: 30) { FileManager.default.fileExists(atPath: dir + "/child-ready") },
                      "child never opened the environment")
        XCTAssertThrowsError(try LMDBEnvironment(directory: dir)) { error in
            XCTAssertEqual((error as? IndexError)?.code, .locked)
            XCTAssertEqual((error as? IndexError)?.message,
                           "another photoqd is using \(dir) (pid \(child.processIdentifier))")
        }
        // A killed daemon leaves no stale lock.
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        try LMDBEnvironment(directory: dir, mapSize: 1 << 20).close()
    }

    func testStaleReaderOfADeadProcessIsCleared() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let env = try LMDBEnvironment(directory: dir, mapSize: 1 << 20)
        defer { env.close() }
        XCTAssertEqual(env.staleReadersClearedAtOpen, 0)
        let child = try ChildProcess.start(mode: "stale-reader", directory: dir)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal, "child should die of SIGKILL inside its read")
        XCTAssertEqual(try env.clearStaleReaders(), 1)
        XCTAssertEqual(try env.clearStaleReaders(), 0)
        // The environment stays fully usable.
        try env.write { txn in try txn.put(env.meta, key: [1], value: [2]) }
    }
}
