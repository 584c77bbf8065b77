import Foundation

/// Threads that answer requests away from the server's poll loop, so that one
/// slow request (a long text to embed, a large k) delays only its own client
/// while the loop keeps accepting, reading and writing for everyone else.
/// Index reads are safe from several threads at once: `VectorSearch` takes a
/// read lock and LMDB read transactions are opened with MDB_NOTLS.
final class QueryWorkers: @unchecked Sendable {
    /// A request body from the connection on `fd` numbered `serial`.
    struct Job {
        let fd: Int32
        let serial: UInt64
        let body: [UInt8]
    }

    /// The encoded response body for the connection on `fd` numbered `serial`.
    struct Reply {
        let fd: Int32
        let serial: UInt64
        let body: [UInt8]
    }

    let count: Int
    /// Requests one worker takes at once when many are waiting.
    static let batchLimit = 16
    private let answer: @Sendable ([[UInt8]]) -> [[UInt8]]
    private let replied: @Sendable () -> Void
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var nextJob = 0
    private var replies: [Reply] = []
    private var stopping = false
    private let finished = DispatchGroup()

    /// - Parameters:
    ///   - answer: turns request bodies into response bodies, in order (called on a worker).
    ///   - replied: called after replies are queued, to wake the poll loop.
    init(count: Int, answer: @escaping @Sendable ([[UInt8]]) -> [[UInt8]], replied: @escaping @Sendable () -> Void) {
        self.count = max(1, count)
        self.answer = answer
        self.replied = replied
    }

    func start() {
        for i in 0..<count {
            finished.enter()
            let t = Thread { [self] in
                work()
                finished.leave()
            }
            t.name = "photoqd-query-\(i)"
            t.start()
        }
    }

    func submit(_ job: Job) {
        condition.withLock {
            jobs.append(job)
            condition.signal()
        }
    }

    /// The replies finished since the last call, in completion order.
    func takeReplies() -> [Reply] {
        condition.withLock {
            defer { replies.removeAll(keepingCapacity: true) }
            return replies
        }
    }

    /// Lets the running requests finish, drops the queued ones, waits for the threads.
    func stop() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
        finished.wait()
    }

    private func work() {
        while let batch = nextQueuedJobs() {
            let bodies = answer(batch.map(\.body))
            condition.withLock {
                for (job, body) in zip(batch, bodies) { replies.append(Reply(fd: job.fd, serial: job.serial, body: body)) }
            }
            replied()
        }
    }

    /// The next jobs: a fair share of those waiting (so idle workers get some
    /// too), at most `batchLimit`; nil once stopping.
    private func nextQueuedJobs() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while nextJob == jobs.count && !stopping { condition.wait() }
        if stopping { return nil }
        let waiting = jobs.count - nextJob
        let take = min(Self.batchLimit, max(1, (waiting + count - 1) / count))
        let batch = Array(jobs[nextJob..<nextJob + take])
        nextJob += take
        // Compact once the consumed prefix dominates, so the queue stays bounded.
        if nextJob == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            nextJob = 0
        } else if nextJob > 1024 && nextJob * 2 > jobs.count {
            jobs.removeFirst(nextJob)
            nextJob = 0
        }
        return batch
    }
}
