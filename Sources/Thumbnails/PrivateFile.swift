import Glibc

/// Writes a file so that readers see either the old one or the whole new
/// one (a temporary file in the same folder, then rename), private to the
/// user: folders it creates are 0700, the file 0600.
enum PrivateFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        try makeFolders(folder)
        let temporary = folder + "/.photoq-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).png"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw failure(temporary, errno) }
        var written = 0
        let status: Int32 = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += n
            }
            return 0
        }
        // The umask may have taken bits from 0600 but never adds any; fchmod
        // makes the mode exact whatever the umask.
        let modeError = fchmod(fd, 0o600) == 0 ? 0 : errno
        let closeError = close(fd) == 0 ? 0 : errno
        let error: Int32 = status != 0 ? status : (modeError != 0 ? modeError : closeError)
        guard error == 0 else {
            unlink(temporary)
            throw failure(temporary, error)
        }
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw failure(path, error)
        }
    }

    /// `mkdir -p` with 0700 for each folder it creates; folders that already
    /// exist keep their mode.
    static func makeFolders(_ folder: String) throws {
        var current = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + part
            if mkdir(current, 0o700) == 0 {
                chmod(current, 0o700)   // exact, whatever the umask
            } else if errno != EEXIST {
                throw failure(current, errno)
            }
        }
    }

    private static func failure(_ path: String, _ code: Int32) -> ThumbnailError {
        .notWritten(path: path, reason: String(cString: strerror(code)))
    }
}
