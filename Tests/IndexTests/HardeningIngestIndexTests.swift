import Foundation
import Glibc
import XCTest
@testable import Index
import TestSupport

/// The index's part in hardened ingest: fingerprinting never blocks on a
/// special file, and a full disk is told apart from a bad change.
final class HardeningIngestIndexTests: XCTestCase {
    func testFingerprintingAFIFORefusesWithoutBlocking() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let fifo = dir + "/pipe.jpg"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        Thread {
            do { _ = try ContentHash.of(path: fifo) } catch { outcome.error = error }
            done.signal()
        }.start()
        if done.wait(timeout: .now() + 5) == .timedOut {
            XCTFail("ContentHash.of blocked on a FIFO")
            let writer = open(fifo, O_WRONLY | O_NONBLOCK) // let the old open() return
            if writer >= 0 { close(writer) }
            _ = done.wait(timeout: .now() + 5)
            return
        }
        let error = try XCTUnwrap(outcome.error as? IndexError)
        XCTAssertEqual(error.code, .io)
        XCTAssertEqual(error.cause, "not a regular file")
    }

    func testStorageFullIsRecognisedFromTheReturnCode() {
        XCTAssertTrue(IndexError(.lmdb, "commit", lmdbReturnCode: ENOSPC).isStorageFull)
        XCTAssertTrue(IndexError(.lmdb, "commit", lmdbReturnCode: EDQUOT).isStorageFull)
        XCTAssertTrue(IndexError(.lmdb, "commit", lmdbReturnCode: -30792).isStorageFull) // MDB_MAP_FULL
        XCTAssertFalse(IndexError(.lmdb, "commit", lmdbReturnCode: EIO).isStorageFull)
        XCTAssertFalse(IndexError(.invalidArgument, "path too long").isStorageFull)
    }
}

private final class Outcome: @unchecked Sendable { var error: (any Error)? }
