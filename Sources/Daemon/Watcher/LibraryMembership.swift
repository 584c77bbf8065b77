import Glibc
import PhotoqProtocol

/// Which files the index holds: photos (by name) below a root, in no
/// skipped folder, and symlinks by one policy, however they arrived
/// (found by a scan, created, moved in):
///
/// - a symlink to a photo file is indexed under the link's own path, once;
/// - unless the file it leads to is itself held (inside a root, not skipped):
///   then that file is indexed and the link is not, so nothing is indexed twice;
/// - a symlink to a photo outside the roots is indexed (the link is how the
///   user put it in the library); its target is not watched, so a change to
///   it is seen at the next scan;
/// - symlinks to folders are never followed (no loops), nor are dangling ones.
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
        guard isPhotoPlace(path, roots: roots) else { return false }
        guard FileSystem.isSymlink(path) else { return true }
        return followsLink(path)
    }

    /// A symlink at `path` (already known to be a link in a photo place):
    /// true when it leads to a regular file that is not itself held.
    func followsLink(_ path: String) -> Bool {
        guard let target = FileSystem.realPath(path), FileIdentity.of(path: target) != nil else { return false }
        // Compare with the roots as the kernel resolves them: a root reached
        // through a symlink (/home → /usr/home) still holds its files.
        let resolvedRoots = roots.compactMap { FileSystem.realPath($0) }
        return !isPhotoPlace(target, roots: resolvedRoots)
    }

    private func isPhotoPlace(_ path: String, roots: [String]) -> Bool {
        guard filter.isPhoto(name: PathFilter.name(of: path)) else { return false }
        return roots.contains { !filter.skipsPath(path, under: $0) }
    }
}
