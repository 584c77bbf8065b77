import Glibc

/// Reads a whole file into memory with POSIX calls, turning every failure into
/// `ImageError.unreadable` with the system's reason (ENOENT, EACCES, EISDIR…).
///
/// The file is opened with O_NONBLOCK, so a FIFO or device swapped in for a
/// photo cannot block the caller in open(), then checked with fstat on the
/// open descriptor (what was checked is what is read): anything but a
/// regular file is refused. Reads stop at the size fstat reported, so a file
/// growing meanwhile cannot make the read unbounded.
public enum FileBytes {
    /// Files larger than this are refused before reading (no JPEG photo is 2 GiB).
    public static let maximumSize = 1 << 31

    /// - Parameters:
    ///   - maximumSize: bigger files are refused before any byte is read.
    ///   - followSymlinks: false refuses a symbolic link at `path` (O_NOFOLLOW).
    public static func read(path: String, maximumSize: Int = FileBytes.maximumSize,
                            followSymlinks: Bool = true) throws -> [UInt8] {
        try path.withCString { try read(cPath: $0, displayPath: path, maximumSize: maximumSize, followSymlinks: followSymlinks) }
    }

    /// The same for a path given as its exact bytes (a name that is not
    /// UTF-8); `displayPath` is what error messages show.
    public static func read(cPath: UnsafePointer<CChar>, displayPath path: String, maximumSize: Int = FileBytes.maximumSize,
                            followSymlinks: Bool = true) throws -> [UInt8] {
        let fd = try openRegularFile(cPath: cPath, displayPath: path, followSymlinks: followSymlinks)
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(path, errno) }
        let size = Int(info.st_size)
        guard size <= maximumSize else {
            throw ImageError.overBudget(message: "\(path) is \(size) bytes, over the \(DecodeBudget.mebibytes(maximumSize)) limit for a photo file")
        }

        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while filled < size {
                let n = retryingOnInterrupt { Glibc.read(fd, buffer.baseAddress! + filled, size - filled) }
                if n < 0 { throw unreadable(path, errno) }
                if n == 0 { break }   // the file shrank while we read it
                filled += n
            }
        }
        if filled < size { bytes.removeSubrange(filled...) }
        return bytes
    }

    /// Opens `path` read-only without blocking and returns the descriptor
    /// once fstat says it is a regular file (O_NONBLOCK cleared again).
    public static func openRegularFile(path: String, followSymlinks: Bool = true) throws -> Int32 {
        try path.withCString { try openRegularFile(cPath: $0, displayPath: path, followSymlinks: followSymlinks) }
    }

    public static func openRegularFile(cPath: UnsafePointer<CChar>, displayPath path: String,
                                       followSymlinks: Bool = true) throws -> Int32 {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followSymlinks ? 0 : O_NOFOLLOW)
        let fd = retryingOnInterrupt { open(cPath, flags) }
        guard fd >= 0 else {
            if errno == ELOOP && !followSymlinks {
                throw ImageError.unreadable(path: path, reason: "a symbolic link (not followed)")
            }
            throw unreadable(path, errno)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw unreadable(path, code)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            close(fd)
            if kind == S_IFDIR { throw unreadable(path, EISDIR) }
            throw ImageError.unreadable(path: path, reason: "\(describe(kind)), not a regular file")
        }
        // Regular files ignore O_NONBLOCK, but clear it so later reads are plain.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    private static func describe(_ kind: mode_t) -> String {
        switch kind {
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    private static func unreadable(_ path: String, _ code: Int32) -> ImageError {
        .unreadable(path: path, reason: String(cString: strerror(code)))
    }

    private static func retryingOnInterrupt<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
