/// One change for the index writer. Tasks are applied in the order they were
/// queued, so a write followed by a move or a delete ends in the right state;
/// every handler re-checks the disk, so a stale task is harmless.
public enum IngestTask: Sendable, Equatable {
    /// Index (or re-index) the photo at this path if it is new or changed.
    case file(String)
    /// The photo is gone (deleted or moved out).
    case remove(String)
    /// A folder is gone: drop every photo below it.
    case removeTree(String)
    /// A photo moved within the roots: keep its vector under the new path.
    case move(from: String, to: String)
    /// A folder moved within the roots.
    case moveTree(from: String, to: String)
    /// After a scan of this folder: drop records whose files no longer exist.
    case sweep(String)
}
