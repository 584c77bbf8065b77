import Glibc
import PhotoqProtocol

/// Walks folders with readdir (no Foundation enumerator: it follows hidden
/// folders, allocates per entry and cannot return names that are not UTF-8).
/// Names are kept as their bytes (`PathBytes`). Symlinks are neither
/// entered nor reported (`LibraryMembership`), so a link loop cannot trap
/// the walk.
public struct FileScanner: Sendable {
    public let filter: PathFilter

    public init(filter: PathFilter) { self.filter = filter }

    /// Calls `directory` for every folder walked (root included) and `photo`
    /// for every photo file, depth first. Unreadable folders are skipped.
    /// `other` gets everything else it meets: folders not entered (hidden,
    /// excluded: `isDirectory` true), symlinks, and regular files that are
    /// not photos by name.
    public func walk(_ root: String, directory: (String) -> Void, photo: (String) -> Void,
                     other: ((_ path: String, _ name: String, _ isDirectory: Bool) -> Void)? = nil,
                     shouldStop: () -> Bool = { false }) {
        var stack = [root]
        while let dir = stack.popLast() {
            if shouldStop() { return }
            directory(dir)
            guard let handle = FileSystem.openDirectory(dir) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    PathBytes.string(raw.prefix(while: { $0 != 0 }))
                }
                if name == "." || name == ".." { continue }
                let path = dir == "/" ? "/" + name : dir + "/" + name
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    // Some file systems do not fill d_type.
                    guard let st = FileSystem.linkStatus(path) else { continue }
                    let mode = st.st_mode & S_IFMT
                    type = mode == S_IFDIR ? UInt8(DT_DIR) : mode == S_IFREG ? UInt8(DT_REG) : mode == S_IFLNK ? UInt8(DT_LNK) : 0
                }
                if type == UInt8(DT_DIR) {
                    if !filter.skipsDirectory(name: name, path: path) { stack.append(path) } else { other?(path, name, true) }
                } else if type == UInt8(DT_REG), filter.isPhoto(name: name) {
                    photo(path)
                } else if type == UInt8(DT_REG) || type == UInt8(DT_LNK) {
                    other?(path, name, false)
                }
            }
        }
    }
}
