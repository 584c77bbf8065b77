import Foundation
import XCTest
@testable import Daemon

/// The timed waits the writer uses for its retries (a full disk, photos
/// still being written) must end at their deadline and at once on close.
final class HardeningIngestQueueTests: XCTestCase {
    func testNextGivesUpAtItsDeadlineAndStillDeliversWork() {
        let queue = IngestQueue(capacity: 4)
        let started = Date()
        guard case .timedOut = queue.next(maximum: 2, until: Date(timeIntervalSinceNow: 0.1)) else {
            return XCTFail("expected a timeout on an empty queue")
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.09)
        queue.push(.file("/p/a.jpg"))
        guard case .work(let files, nil) = queue.next(maximum: 2, until: Date(timeIntervalSinceNow: 5)) else {
            return XCTFail("expected the queued file")
        }
        XCTAssertEqual(files, ["/p/a.jpg"])
        queue.finished()
        queue.close(discardPending: true)
        guard case .closed = queue.next(maximum: 2, until: Date(timeIntervalSinceNow: 5)) else {
            return XCTFail("expected closed")
        }
    }

    func testSleepEndsAtTheDeadlineOrAtClose() {
        let queue = IngestQueue(capacity: 4)
        XCTAssertTrue(queue.sleep(until: Date(timeIntervalSinceNow: 0.05)))
        let closer = Thread { usleep(100_000); queue.close(discardPending: true) }
        closer.start()
        let started = Date()
        XCTAssertFalse(queue.sleep(until: Date(timeIntervalSinceNow: 30)))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "close must wake a sleeping writer")
    }
}
