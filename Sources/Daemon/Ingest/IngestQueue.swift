import Foundation

/// The bounded, ordered queue between the watcher/scanner and the index
/// writer. File tasks count against the capacity and their producers wait
/// when it is full, so copying 50,000 photos holds at most `capacity` paths
/// (and one batch of decoded images) in memory. Other tasks are tiny and are
/// always accepted, so the watcher never waits behind a scan to report a delete.
public final class IngestQueue: @unchecked Sendable {
    public let capacity: Int
    private let condition = NSCondition()
    private var tasks: [IngestTask] = []
    private var head = 0
    /// By the path's bytes: String keys would take NFC/NFD twins for one file.
    private var queuedFiles: [[UInt8]: Int] = [:]
    private var fileCount = 0
    private var inFlight = 0
    private var working = false
    private var closed = false

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Files queued or being embedded (the status's "pending").
    public var pending: Int {
        condition.lock()
        defer { condition.unlock() }
        return fileCount + inFlight
    }

    /// Queues a task. File tasks for a path already waiting are dropped (the
    /// writer reads the file when it gets there); when the queue is full,
    /// file tasks wait for room unless `wait` is false, in which case false
    /// is returned. Returns false once closed.
    @discardableResult
    public func push(_ task: IngestTask, wait: Bool = true) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if case .file(let path) = task {
            if queuedFiles[Array(path.utf8)] != nil { return !closed }
            while fileCount >= capacity && !closed {
                guard wait else { return false }
                condition.wait()
            }
            guard !closed else { return false }
            queuedFiles[Array(path.utf8), default: 0] += 1
            fileCount += 1
        }
        guard !closed else { return false }
        tasks.append(task)
        condition.broadcast()
        return true
    }

    /// The next work: up to `maximum` consecutive file paths, or one other
    /// task. Blocks until there is work; nil once closed and drained, or
    /// right away after `close(discardPending: true)`. When fewer than
    /// `maximum` files are waiting, waits up to `gather` seconds for more, so
    /// files arriving one by one are still embedded and committed in batches.
    public func next(maximum: Int, gather: Double = 0) -> (files: [String], other: IngestTask?)? {
        while true {
            switch next(maximum: maximum, gather: gather, until: nil) {
            case .work(let files, let other): return (files, other)
            case .closed: return nil
            case .timedOut: continue
            }
        }
    }

    public enum Next {
        case work(files: [String], other: IngestTask?)
        /// `until` passed with nothing queued (the writer has timers of its own).
        case timedOut
        case closed
    }

    /// `next(maximum:gather:)` that gives up at `until` (nil: never).
    public func next(maximum: Int, gather: Double = 0, until: Date?) -> Next {
        condition.lock()
        defer { condition.unlock() }
        while head == tasks.count && !closed {
            if let until {
                if !condition.wait(until: until) && head == tasks.count && !closed { return .timedOut }
            } else {
                condition.wait()
            }
        }
        if head == tasks.count { return .closed }
        if gather > 0, case .file = tasks[head] {
            let until = Date(timeIntervalSinceNow: gather)
            while !closed, tasks.count - head < maximum, tasks[head...].allSatisfy({ if case .file = $0 { true } else { false } }),
                  condition.wait(until: until) {}
            if head == tasks.count { return .closed }
        }
        var files: [String] = []
        while head < tasks.count, files.count < maximum, case .file(let path) = tasks[head] {
            files.append(path)
            head += 1
            queuedFiles[Array(path.utf8)] = nil
        }
        var other: IngestTask?
        if files.isEmpty {
            other = tasks[head]
            head += 1
        }
        fileCount -= files.count
        inFlight = files.count
        working = true
        if head > 1024 && head * 2 > tasks.count {
            tasks.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return .work(files: files, other: other)
    }

    /// Sleeps until `deadline` or until the queue is closed; false when closed.
    public func sleep(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && condition.wait(until: deadline) {}
        return !closed
    }

    public var isClosed: Bool { condition.withLock { closed } }

    /// The writer finished the work `next` returned.
    public func finished() {
        condition.lock()
        inFlight = 0
        working = false
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until every queued task has been applied (or the queue closed).
    public func waitUntilIdle() {
        condition.lock()
        while (head < tasks.count || working) && !closed { condition.wait() }
        condition.unlock()
    }

    /// Wakes all waiters; producers' pushes fail from now on. With
    /// `discardPending`, queued tasks are dropped (the next start's scan
    /// finds them again), so shutdown only waits for the batch in flight.
    public func close(discardPending: Bool) {
        condition.lock()
        closed = true
        if discardPending {
            tasks.removeAll()
            head = 0
            queuedFiles.removeAll()
            fileCount = 0
        }
        condition.broadcast()
        condition.unlock()
    }
}
