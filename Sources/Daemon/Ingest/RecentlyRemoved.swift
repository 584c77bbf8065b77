import Index
import PhotoqProtocol

/// Records the writer removed in the last minutes, findable by file identity.
///
/// A photo moved into a folder created moments before reaches the daemon as
/// a delete (the moved-to event fired before the new folder had a watch) and
/// then as a new file found by the folder's scan. Matching the new file's
/// device, inode, size, mtime and content hash against what was just removed
/// turns that pair back into a move, so the photo keeps its vector and id.
struct RecentlyRemoved {
    static let lifetimeNanoseconds: UInt64 = 120_000_000_000
    static let capacity = 20_000

    private var entries: [String: (record: PhotoRecord, at: UInt64)] = [:]

    private static func key(device: UInt64, inode: UInt64, size: UInt64, mtime: Int64) -> String {
        "\(device):\(inode):\(size):\(mtime)"
    }

    mutating func add(_ record: PhotoRecord) {
        guard !record.vector.isEmpty else { return }
        let now = Deadline.now()
        if entries.count >= Self.capacity {
            entries = entries.filter { now - $0.value.at < Self.lifetimeNanoseconds }
            if entries.count >= Self.capacity { entries.removeAll() }
        }
        entries[Self.key(device: record.device, inode: record.inode, size: record.size, mtime: record.mtimeNanoseconds)] = (record, now)
    }

    /// The removed record for this file, if it is the same file (identity and content hash).
    mutating func take(_ identity: FileIdentity, contentHash: () -> UInt64?) -> PhotoRecord? {
        guard !entries.isEmpty else { return nil }
        let key = Self.key(device: identity.device, inode: identity.inode, size: UInt64(identity.size), mtime: identity.mtimeNanoseconds)
        guard let entry = entries[key], Deadline.now() - entry.at < Self.lifetimeNanoseconds,
              let hash = contentHash(), hash == entry.record.contentHash else { return nil }
        entries[key] = nil
        return entry.record
    }
}
