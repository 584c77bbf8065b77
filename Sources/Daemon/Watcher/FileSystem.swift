import Glibc
import Imaging
import Index
import PhotoqProtocol

/// The system calls the daemon makes on paths it found, in one place. Paths
/// are `PathBytes` strings; passing one straight to a C function would send
/// its escapes' UTF-8 instead of the name's real bytes, so every call goes
/// through `PathBytes.withCString`.
enum FileSystem {
    typealias Status = Glibc.stat

    /// lstat(2): a symlink itself.
    static func linkStatus(_ path: String) -> Status? {
        var st = Status()
        return PathBytes.withCString(path) { Glibc.lstat($0, &st) } == 0 ? st : nil
    }

    /// stat(2), following symlinks.
    static func status(_ path: String) -> Status? {
        var st = Status()
        return PathBytes.withCString(path) { stat($0, &st) } == 0 ? st : nil
    }

    static func isDirectory(_ path: String) -> Bool {
        status(path).map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false
    }

    /// The last component of a path (bytes after the last "/").
    static func lastComponent(_ path: String) -> String {
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(decoding: bytes[bytes.index(after: slash)...], as: UTF8.self)
    }

    static func isSymlink(_ path: String) -> Bool {
        linkStatus(path).map { ($0.st_mode & S_IFMT) == S_IFLNK } ?? false
    }

    static func openDirectory(_ path: String) -> OpaquePointer? {
        PathBytes.withCString(path) { opendir($0) }
    }

    /// True for a folder with no entries besides . and .. (false if unreadable).
    static func isEmptyDirectory(_ path: String) -> Bool {
        guard let handle = openDirectory(path) else { return false }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                raw[0] == UInt8(ascii: ".") && (raw[1] == 0 || (raw[1] == UInt8(ascii: ".") && raw[2] == 0))
            }
            if !isDot { return false }
        }
        return true
    }

    /// The canonical absolute path (symlinks resolved), nil if it does not resolve.
    static func realPath(_ path: String) -> String? {
        PathBytes.withCString(path) { p -> String? in
            guard let resolved = realpath(p, nil) else { return nil }
            defer { free(resolved) }
            return PathBytes.string(UnsafeBufferPointer(start: resolved, count: strlen(resolved)).map { UInt8(bitPattern: $0) })
        }
    }

    /// `ContentHash.of(path:)`, for any name.
    static func contentHash(_ path: String) throws -> UInt64 {
        guard !PathBytes.isPlain(path) else { return try ContentHash.of(path: path) }
        return ContentHash.of(bytes: try readPhoto(path))
    }

    /// Reads a whole photo by its real name, for names that are not UTF-8
    /// (the decoder opens a `String` path itself, which would be the wrong
    /// bytes). Refuses what the decoder refuses: symlinks, FIFOs and devices
    /// (opened without blocking), anything but a regular file, over 2 GiB.
    static func readPhoto(_ path: String, maximumSize: Int = FileBytes.maximumSize) throws -> [UInt8] {
        try PathBytes.withCString(path) {
            try FileBytes.read(cPath: $0, displayPath: PathBytes.display(path), maximumSize: maximumSize, followSymlinks: false)
        }
    }
}

/// What stat says about a file; the index compares these to notice changes.
public struct FileIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64

    /// The regular file at `path` (a symlink is followed), nil for anything else.
    public static func of(path: String) -> FileIdentity? {
        guard let st = FileSystem.status(path), (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                            mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }
}
