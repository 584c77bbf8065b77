import Foundation
import Index
import PhotoqProtocol

/// Which roots are there now. A root that is not (an unplugged disk, a
/// folder moved away) keeps its photos in the index: deleting them would
/// make an unmount cost a full re-index. They are hidden from results
/// instead, until the root returns and a scan reconciles it.
public final class RootPresence: @unchecked Sendable {
    public let roots: [String]
    private let index: PhotoIndex
    private let lock = NSLock()
    // Changed by the watcher thread only; read from any.
    private var missing: Set<String> = []
    private var hiddenIDs: Set<UInt64> = []

    public init(roots: [String], index: PhotoIndex) {
        self.roots = roots
        self.index = index
    }

    /// Whether `root` is there to be scanned: a folder, and not an empty
    /// mount point whose disk is away (its indexed photos all lie on other
    /// devices than the folder itself).
    func isAvailable(_ root: String) -> Bool {
        guard let st = FileSystem.status(root), (st.st_mode & S_IFMT) == S_IFDIR else { return false }
        guard FileSystem.isEmptyDirectory(root) else { return true }
        let devices = Set(((try? index.records(inFolder: root)) ?? []).map(\.device))
        return devices.isEmpty || devices.contains(UInt64(st.st_dev))
    }

    /// Missing roots, in configuration order.
    public var missingRoots: [String] { lock.withLock { roots.filter { missing.contains($0) } } }

    public var presentRoots: [String] { lock.withLock { roots.filter { !missing.contains($0) } } }

    /// Photos to leave out of every result.
    public var hidden: Set<UInt64> { lock.withLock { hiddenIDs } }

    public func isPresent(_ root: String) -> Bool { lock.withLock { !missing.contains(root) } }

    /// Whether `path` lies under a root marked present (false outside every root).
    func rootIsThere(of path: String) -> Bool {
        guard let root = roots.first(where: { PathBytes.isWithin(path, $0) }) else { return false }
        return isPresent(root)
    }

    /// Whether a scan of `folder` may trust what it finds: its root is
    /// marked present and is on disk (a scan of a vanished root would find
    /// nothing and sweep every record away).
    func allowsScan(of folder: String) -> Bool {
        guard let root = roots.first(where: { PathBytes.isWithin(folder, $0) }) else { return false }
        return isPresent(root) && isAvailable(root)
    }

    /// Returns false if it was already missing.
    @discardableResult
    func markMissing(_ root: String) -> Bool {
        let ids = idsUnder(root)
        return lock.withLock {
            guard missing.insert(root).inserted else { return false }
            hiddenIDs.formUnion(ids)
            return true
        }
    }

    /// Returns false if it was not missing.
    @discardableResult
    func markPresent(_ root: String) -> Bool {
        let remaining: [String]? = lock.withLock { missing.remove(root) == nil ? nil : Array(missing) }
        guard let remaining else { return false }
        // Roots may nest: recompute from the ones still missing.
        let ids = remaining.reduce(into: Set<UInt64>()) { $0.formUnion(idsUnder($1)) }
        lock.withLock { hiddenIDs = ids }
        return true
    }
}

extension RootPresence {
    private func idsUnder(_ root: String) -> Set<UInt64> { (try? index.ids(inFolder: root)) ?? [] }
}

extension StatusResult {
    /// This status with the missing roots and the photos they hide.
    func reporting(_ presence: RootPresence) -> StatusResult {
        var status = self
        status.rootsMissing = presence.missingRoots
        status.hidden = presence.hidden.count
        return status
    }
}

extension SearchFilter {
    /// Leaves `ids` out of the results (photos whose root is missing).
    mutating func hide(_ ids: Set<UInt64>) {
        guard !ids.isEmpty else { return }
        let previous = predicate
        predicate = { id in !ids.contains(id) && (previous?(id) ?? true) }
    }
}
