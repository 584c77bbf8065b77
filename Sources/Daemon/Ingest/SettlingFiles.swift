import Foundation

/// Photos that decoded as truncated while they were probably still being
/// written (modified moments ago, or changed since the writer looked). They
/// are tried again once they have been quiet for `quietSeconds` instead of
/// being recorded as failed; the close-write event that usually comes first
/// queues them anyway. A file that stays truncated and quiet is recorded.
struct SettlingFiles {
    static let quietSeconds = 2.0

    private var due: [String: Date] = [:]

    var count: Int { due.count }
    var nextDue: Date? { due.values.min() }

    /// Whether a truncated photo last modified at `mtimeNanoseconds` may
    /// still be being written.
    static func mayStillBeWriting(mtimeNanoseconds: Int64, changedSinceRead: Bool, now: Date = Date()) -> Bool {
        let age = now.timeIntervalSince1970 - Double(mtimeNanoseconds) / 1e9
        return changedSinceRead || age < quietSeconds
    }

    mutating func add(_ path: String, mtimeNanoseconds: Int64) {
        let quietAt = Double(mtimeNanoseconds) / 1e9 + Self.quietSeconds
        due[path] = Date(timeIntervalSince1970: max(quietAt, Date().timeIntervalSince1970 + 0.25))
    }

    /// Called when a path is ingested again for any reason.
    mutating func remove(_ path: String) { due[path] = nil }

    /// Paths whose wait is over (removed from the set).
    mutating func takeDue(now: Date = Date()) -> [String] {
        let ready = due.filter { $0.value <= now }.map(\.key).sorted()
        for path in ready { due[path] = nil }
        return ready
    }
}
