/// Each searchable photo's content hash and format, in memory and in step
/// with the vector search: byte-identical copies are found by hash (to fold
/// them into one result) and photos counted by format without a scan of LMDB.
/// A copy deleted or changed leaves its group with the next write, because
/// every update of the vector search updates this too.
public final class PhotoCatalog: @unchecked Sendable {
    private let lock = ReadWriteLock(preferWriters: true)
    private var entries: [UInt64: (hash: UInt64, format: String)] = [:]
    /// Ids by content hash, only for hashes held by two photos or more.
    private var copiesByHash: [UInt64: [UInt64]] = [:]
    private var formatCounts: [String: Int] = [:]

    public init() {}

    /// The ids of every photo with the same bytes as `id`, `id` included,
    /// smallest first; just `[id]` when it has no copies (or no known hash).
    public func copies(of id: UInt64) -> [UInt64] {
        lock.withReadLock {
            guard let hash = entries[id]?.hash, let group = copiesByHash[hash] else { return [id] }
            return group
        }
    }

    /// The content hash of a photo with copies, nil for one without: a key for folding.
    public func copyGroup(of id: UInt64) -> UInt64? {
        lock.withReadLock {
            guard let hash = entries[id]?.hash, copiesByHash[hash] != nil else { return nil }
            return hash
        }
    }

    /// Searchable photos by format name ("" for records older than formats).
    public var countsByFormat: [String: Int] { lock.withReadLock { formatCounts } }

    func set(_ updates: [(id: UInt64, hash: UInt64, format: String)]) {
        lock.withWriteLock {
            for update in updates {
                removeEntry(update.id)
                entries[update.id] = (update.hash, update.format)
                formatCounts[update.format, default: 0] += 1
                // 0 means the hash could not be read: not a copy of anything.
                guard update.hash != 0 else { continue }
                if var group = copiesByHash[update.hash] {
                    group.insert(update.id, at: group.firstIndex { $0 > update.id } ?? group.endIndex)
                    copiesByHash[update.hash] = group
                } else if let other = firstOtherID(withHash: update.hash, than: update.id) {
                    copiesByHash[update.hash] = [min(other, update.id), max(other, update.id)]
                }
            }
        }
    }

    /// Room for `count` photos, so a start-up load does not rehash as it grows.
    func reserve(_ count: Int) {
        lock.withWriteLock {
            entries.reserveCapacity(count)
            singleByHash.reserveCapacity(count)
        }
    }

    func remove(ids: [UInt64]) {
        lock.withWriteLock { for id in ids { removeEntry(id) } }
    }

    func removeAll() {
        lock.withWriteLock {
            entries.removeAll()
            copiesByHash.removeAll()
            formatCounts.removeAll()
        }
    }

    // MARK: - Internals (callers hold the write lock)

    /// Singletons are not grouped, so a hash's first copy is found through
    /// `singleByHash`.
    private var singleByHash: [UInt64: UInt64] = [:]

    private func firstOtherID(withHash hash: UInt64, than id: UInt64) -> UInt64? {
        if let single = singleByHash[hash], single != id {
            singleByHash[hash] = nil
            return single
        }
        singleByHash[hash] = id
        return nil
    }

    private func removeEntry(_ id: UInt64) {
        guard let old = entries.removeValue(forKey: id) else { return }
        formatCounts[old.format, default: 0] -= 1
        if formatCounts[old.format] == 0 { formatCounts[old.format] = nil }
        guard old.hash != 0 else { return }
        if singleByHash[old.hash] == id { singleByHash[old.hash] = nil }
        guard var group = copiesByHash[old.hash] else { return }
        group.removeAll { $0 == id }
        if group.count >= 2 {
            copiesByHash[old.hash] = group
        } else {
            copiesByHash[old.hash] = nil
            if let last = group.first { singleByHash[old.hash] = last }
        }
    }
}
