#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A file the scan met and left out on purpose (not a photo photoq reads, a
/// video, hidden, excluded, a symlink), with the class it is counted under
/// and why. Kept in the index so `photoq --status` can account for every
/// file without walking the disk, and so each skip is logged once.
public struct SkipRecord: Sendable, Equatable {
    public var path: String
    /// "unsupported format", "video", "hidden", "excluded", "symlink", "symlink outside roots".
    public var className: String
    public var detail: String
    public var size: UInt64
    public var mtimeNanoseconds: Int64

    public init(path: String, className: String, detail: String, size: UInt64 = 0, mtimeNanoseconds: Int64 = 0) {
        self.path = path
        self.className = className
        self.detail = detail
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    /// Stored in the failure record layout: the reason is "class: detail".
    var stored: FailureRecord {
        FailureRecord(path: path, reason: className + ": " + detail, size: size, mtimeNanoseconds: mtimeNanoseconds,
                      recordedAt: Int64(time(nil)))
    }

    init(stored: FailureRecord) {
        let parts = stored.reason.split(separator: ":", maxSplits: 1)
        self.init(path: stored.path, className: String(parts.first ?? ""),
                  detail: parts.count > 1 ? String(parts[1].drop(while: { $0 == " " })) : "",
                  size: stored.size, mtimeNanoseconds: stored.mtimeNanoseconds)
    }

    /// Same class, reason and file state: nothing to write or log again.
    func sameAs(_ other: SkipRecord) -> Bool {
        className == other.className && detail == other.detail && size == other.size
            && mtimeNanoseconds == other.mtimeNanoseconds
    }
}

extension PhotoIndex {
    /// Makes the skips below `folder` exactly `skips` (a scan's findings):
    /// those not met again are dropped. Returns the skips that are new or
    /// changed, so the caller logs each once, not on every scan.
    @discardableResult
    public func replaceSkips(under folder: String, with skips: [SkipRecord]) throws -> [SkipRecord] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        // A path LMDB cannot key is left out rather than failing the folder.
        let skips = skips.filter { Self.canKeySkip($0.path) }
        return try writer.withLock {
            try environment.write { txn in
                var old: [[UInt8]: SkipRecord] = [:]
                for stored in try Self.skips(under: prefix, txn: txn, env: environment) {
                    old[Array(stored.path.utf8)] = SkipRecord(stored: stored)
                }
                var changed: [SkipRecord] = []
                for skip in skips {
                    let key = Array(skip.path.utf8)
                    if let before = old.removeValue(forKey: key), before.sameAs(skip) { continue }
                    try txn.put(environment.skipped, key: IndexKeys.path(skip.path), value: skip.stored.encoded())
                    changed.append(skip)
                }
                for gone in old.values { try txn.delete(environment.skipped, key: IndexKeys.path(gone.path)) }
                return changed
            }
        }
    }

    /// Records one skip (a file that appeared between scans); false when it was already recorded so.
    @discardableResult
    public func recordSkip(_ skip: SkipRecord) throws -> Bool {
        try updateSkips([(skip.path, skip)]).isEmpty == false
    }

    /// Forgets the skip recorded for `path`, if any.
    public func clearSkip(path: String) throws {
        try updateSkips([(path, nil)])
    }

    /// Records (a skip) or forgets (nil) each path in one transaction, in
    /// order; returns the skips that are new or changed, to log once.
    @discardableResult
    public func updateSkips(_ changes: [(path: String, skip: SkipRecord?)]) throws -> [SkipRecord] {
        let valid = changes.filter { Self.canKeySkip($0.path) }
        guard !valid.isEmpty else { return [] }
        return try writer.withLock {
            try environment.write { txn in
                var changed: [SkipRecord] = []
                for (path, skip) in valid {
                    let key = IndexKeys.path(path)
                    guard let skip else {
                        try txn.delete(environment.skipped, key: key)
                        continue
                    }
                    let before = try txn.withValue(environment.skipped, key: key) { SkipRecord(stored: try FailureRecord(decoding: $0)) }
                    if let before, before.path.utf8.elementsEqual(path.utf8), before.sameAs(skip) { continue }
                    try txn.put(environment.skipped, key: key, value: skip.stored.encoded())
                    changed.append(skip)
                }
                return changed
            }
        }
    }

    public func skip(path: String) throws -> SkipRecord? {
        try environment.read { txn in
            try txn.withValue(environment.skipped, key: IndexKeys.path(path)) { SkipRecord(stored: try FailureRecord(decoding: $0)) }
        }
    }

    /// Visits every skip in path order while `body` returns true.
    public func forEachSkip(_ body: (SkipRecord) throws -> Bool) throws {
        try environment.read { txn in
            try txn.forEach(environment.skipped) { _, value in try body(SkipRecord(stored: try FailureRecord(decoding: value))) }
        }
    }

    public func skipCount() throws -> Int {
        try environment.read { try $0.count(environment.skipped) }
    }

    private static func canKeySkip(_ path: String) -> Bool {
        !path.isEmpty && !path.utf8.contains(0) && path.utf8.count <= PhotoRecord.maxPathBytes
    }

    /// Every skip whose path starts with `prefix`, in path order.
    static func skips(under prefix: String, txn: LMDBTransaction, env: LMDBEnvironment) throws -> [FailureRecord] {
        let start = IndexKeys.pathScanStart(prefix)
        let fullPrefix = Array(prefix.utf8)
        var found: [FailureRecord] = []
        try txn.forEach(env.skipped, from: start) { key, value in
            guard key.starts(with: start) else { return false }
            let stored = try FailureRecord(decoding: value)
            if stored.path.utf8.starts(with: fullPrefix) { found.append(stored) }
            return true
        }
        return found
    }

    /// Inside a write batch: a photo indexed, removed or moved leaves no skip behind.
    static func moveSkips(from base: String, to target: String, txn: LMDBTransaction, env: LMDBEnvironment) throws {
        for var stored in try skips(under: base, txn: txn, env: env) {
            _ = try txn.delete(env.skipped, key: IndexKeys.path(stored.path))
            stored.path = target + String(decoding: stored.path.utf8.dropFirst(base.utf8.count), as: UTF8.self)
            try txn.put(env.skipped, key: IndexKeys.path(stored.path), value: stored.encoded())
        }
    }

    static func removeSkips(under base: String, txn: LMDBTransaction, env: LMDBEnvironment) throws {
        for stored in try skips(under: base, txn: txn, env: env) {
            _ = try txn.delete(env.skipped, key: IndexKeys.path(stored.path))
        }
    }
}
