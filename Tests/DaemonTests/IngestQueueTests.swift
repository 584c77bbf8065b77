import Foundation
import XCTest
@testable import Daemon

final class IngestQueueTests: XCTestCase {
    func testProducersWaitWhenFullAndOrderIsKept() {
        let queue = IngestQueue(capacity: 3)
        let pushed = ManagedCounter()
        let producer = Thread {
            for i in 0..<10 { queue.push(.file("/p/\(i).jpg")); pushed.increment() }
            queue.push(.remove("/p/0.jpg"))
        }
        producer.start()
        usleep(100_000)
        XCTAssertEqual(pushed.value, 3, "the producer must wait for room")
        XCTAssertEqual(queue.pending, 3)
        var files: [String] = []
        var others: [IngestTask] = []
        while files.count < 10 || others.isEmpty {
            guard let work = queue.next(maximum: 2) else { break }
            XCTAssertLessThanOrEqual(work.files.count, 2)
            files += work.files
            if let o = work.other { others.append(o) }
            queue.finished()
        }
        XCTAssertEqual(files, (0..<10).map { "/p/\($0).jpg" })
        XCTAssertEqual(others, [.remove("/p/0.jpg")])
    }

    func testDuplicateFilesAreQueuedOnceAndCloseWakesProducers() {
        let queue = IngestQueue(capacity: 1)
        queue.push(.file("/a.jpg"))
        queue.push(.file("/a.jpg"))
        XCTAssertEqual(queue.pending, 1)
        XCTAssertFalse(queue.push(.file("/b.jpg"), wait: false))
        let done = expectation(description: "blocked push returns")
        Thread { XCTAssertFalse(queue.push(.file("/c.jpg"))); done.fulfill() }.start()
        usleep(50_000)
        queue.close(discardPending: true)
        wait(for: [done], timeout: 2)
        XCTAssertNil(queue.next(maximum: 4))
    }
}

final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}
