import Foundation
import Index

/// Takes a background re-embedding to its end. The scan queues the photos
/// it finds without a new embedding; once scan and queue are idle, this
/// queues any still missing (a photo put back from the recently removed, one
/// the scan could not reach then) and, when none is left, switches the index
/// and the serving model in one step. Photos under a root that is not there
/// do not hold the switch back: they are embedded when it returns.
final class ReembeddingDriver: @unchecked Sendable {
    private let index: PhotoIndex
    private let queue: IngestQueue
    private let isIdle: @Sendable () -> Bool
    private let isReachable: @Sendable (String) -> Bool
    private let switchModel: @Sendable () throws -> Void
    private let log: Log
    private let condition = NSCondition()
    private var stopped = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Rounds that queued photos and saw no progress before the switch goes ahead anyway.
    static let patience = 3

    init(index: PhotoIndex, queue: IngestQueue, isIdle: @escaping @Sendable () -> Bool,
         isReachable: @escaping @Sendable (String) -> Bool, switchModel: @escaping @Sendable () throws -> Void, log: Log) {
        self.index = index
        self.queue = queue
        self.isIdle = isIdle
        self.isReachable = isReachable
        self.switchModel = switchModel
        self.log = log
    }

    func start() {
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "photoqd-reembed"
        thread = t
        t.start()
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
        if thread != nil { finished.wait() }
        thread = nil
    }

    private func pause(_ seconds: Double) -> Bool {
        condition.withLock {
            if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
            return !stopped
        }
    }

    private func run() {
        var lastStaged = -1
        var stalledRounds = 0
        while pause(0.2) {
            guard let progress = index.reembeddingProgress else { return }
            guard isIdle() else { continue }
            do {
                let due = try index.pathsNeedingEmbedding().filter(isReachable)
                stalledRounds = progress.staged == lastStaged ? stalledRounds + 1 : 0
                lastStaged = progress.staged
                if due.isEmpty || stalledRounds >= Self.patience {
                    if !due.isEmpty {
                        log.warning("\(due.count) photos could not be re-embedded; they are searchable again once they are", ["photo.path": due[0]])
                    }
                    try switchModel()
                    return
                }
                for path in due where !queue.push(.file(path), wait: false) { break } // the rest next round
            } catch {
                log.error("re-embedding: \(error); trying again")
                _ = pause(5)
            }
        }
    }
}
