import Glibc

/// What stat says about a file; the index compares these to notice changes.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64

    public static func of(path: String) -> FileIdentity? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                            mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }
}

/// Walks folders with readdir (no Foundation enumerator: it follows hidden
/// folders and allocates per entry). Symlinks are not followed, so a link
/// loop cannot trap the walk.
public struct FileScanner: Sendable {
    public let filter: PathFilter

    public init(filter: PathFilter) { self.filter = filter }

    /// Calls `directory` for every folder walked (root included) and `photo`
    /// for every photo file, depth first. Unreadable folders are skipped.
    public func walk(_ root: String, directory: (String) -> Void, photo: (String) -> Void, shouldStop: () -> Bool = { false }) {
        var stack = [root]
        while let dir = stack.popLast() {
            if shouldStop() { return }
            directory(dir)
            guard let handle = opendir(dir) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name == "." || name == ".." { continue }
                let path = dir == "/" ? "/" + name : dir + "/" + name
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    // Some file systems do not fill d_type.
                    var st = stat()
                    guard lstat(path, &st) == 0 else { continue }
                    type = (st.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : (st.st_mode & S_IFMT) == S_IFREG ? UInt8(DT_REG) : 0
                }
                if type == UInt8(DT_DIR) {
                    if !filter.skipsDirectory(name: name, path: path) { stack.append(path) }
                } else if type == UInt8(DT_REG), filter.isPhoto(name: name) {
                    photo(path)
                }
            }
        }
    }
}
