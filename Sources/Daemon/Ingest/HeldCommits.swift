import Foundation
import Index

/// Commits the index could not take because its file system is full (or
/// the user's quota is spent), kept in order with a retry backoff. While
/// anything is held the writer takes no new work: later changes wait behind
/// these, so the order of changes is kept, and nothing is lost or recorded
/// as failed. Owned by the writer thread; `summary` is read by status.
struct HeldCommits {
    struct Held {
        var changes: [IndexChange]
        var what: String
        /// Photos these changes index or record (the status's "pending").
        var photos: Int
    }

    static let firstDelay = 0.25
    static let longestDelay = 2.0

    private(set) var batches: [Held] = []
    private(set) var reason: String?
    private(set) var delay = HeldCommits.firstDelay
    private(set) var nextAttempt = Date.distantPast

    var isEmpty: Bool { batches.isEmpty }
    var photoCount: Int { batches.reduce(0) { $0 + $1.photos } }

    /// Keeps `changes` for later, behind what is held already, or ahead of
    /// it (the rest of a batch that was being retried).
    mutating func hold(_ changes: [IndexChange], _ what: String, first: Bool = false) {
        let photos = changes.reduce(0) { count, change in
            switch change {
            case .upsert, .recordFailure: count + 1
            default: count
            }
        }
        let held = Held(changes: changes, what: what, photos: photos)
        if first { batches.insert(held, at: 0) } else { batches.append(held) }
    }

    /// The storage refused a commit: retry later, each time waiting twice as
    /// long, up to `longestDelay` (space that returns is used within seconds).
    /// Returns true the first time, so the condition is logged once.
    mutating func refused(_ error: IndexError) -> Bool {
        let first = reason == nil
        reason = Self.describe(error)
        if !first { delay = min(delay * 2, Self.longestDelay) }
        nextAttempt = Date(timeIntervalSinceNow: delay)
        return first
    }

    mutating func removeFirst() -> Held { batches.removeFirst() }

    /// Everything held was committed: back to normal.
    mutating func resumed() {
        reason = nil
        delay = Self.firstDelay
        nextAttempt = .distantPast
    }

    static func describe(_ error: IndexError) -> String {
        let what: String
        switch error.lmdbReturnCode {
        case ENOSPC: what = "disk full"
        case EDQUOT: what = "disk quota exceeded"
        default: what = "index map full"
        }
        return "\(what): \(error.cause ?? error.message)"
    }
}
