import PhotoqProtocol

/// Which files the index holds: photos (by name) below a root, in no
/// skipped folder, and never a symlink, however it arrived (found by a
/// scan, created in a root, moved into one). The daemon indexes files by
/// their own paths and never reads through a link:
///
/// - a link to a photo inside a root adds nothing: that photo is indexed
///   once, under its own path;
/// - a link to a photo outside the roots is not followed (add its folder as
///   a root instead), so a link swapped in for a photo cannot make the
///   daemon read files elsewhere, and the decoder refuses links for the same
///   reason;
/// - links to folders are never entered, so link loops cannot trap a walk.
public struct LibraryMembership: Sendable {
    public let roots: [String]
    public let filter: PathFilter

    public init(roots: [String], filter: PathFilter) {
        self.roots = roots
        self.filter = filter
    }

    /// The root `path` lies strictly below.
    public func root(of path: String) -> String? {
        roots.first { PathBytes.isWithin(path, $0) && !PathBytes.same(path, $0) }
    }

    /// Whether the file at `path` belongs in the index (by name, place and the symlink policy).
    public func holds(_ path: String) -> Bool {
        guard filter.isPhoto(name: FileSystem.lastComponent(path)) else { return false }
        guard roots.contains(where: { !filter.skipsPath(path, under: $0) }) else { return false }
        return !FileSystem.isSymlink(path)
    }
}
