import Glibc

/// Files photoq writes for its user (heat maps, the last query): mode 0600,
/// and a folder it creates itself 0700, whatever the umask.
public enum PrivateFile {
    /// Writes bytes to path with mode 0600 (an existing file is truncated and
    /// made 0600 too); `createFolder` makes the parent 0700 first when missing.
    public static func write(_ bytes: [UInt8], to path: String, createFolder: Bool = false) throws(PrivateFileError) {
        if createFolder, let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let folder = String(path[..<slash])
            let parent = folder.lastIndex(of: "/").map { String(folder[..<$0]) } ?? ""
            if !parent.isEmpty && access(parent, F_OK) != 0 { mkdir(parent, 0o700) }
            if mkdir(folder, 0o700) != 0 && errno != EEXIST { throw PrivateFileError(reason: reason()) }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw PrivateFileError(reason: reason()) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw PrivateFileError(reason: reason()) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw PrivateFileError(reason: reason()) }
            offset += n
        }
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}

public struct PrivateFileError: Error, Sendable {
    /// The system's reason, e.g. "Permission denied".
    public let reason: String
}
