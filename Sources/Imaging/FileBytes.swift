import Glibc

/// Reads a whole file into memory with POSIX calls, turning every failure into
/// `ImageError.unreadable` with the system's reason (ENOENT, EACCES, EISDIR…).
enum FileBytes {
    /// Files larger than this are refused before reading (no JPEG photo is 2 GiB).
    static let maximumSize = 1 << 31

    static func read(path: String) throws -> [UInt8] {
        let fd = retryingOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw unreadable(path, errno) }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw unreadable(path, errno) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw unreadable(path, EISDIR) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ImageError.unreadable(path: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size <= maximumSize else {
            throw ImageError.unreadable(path: path, reason: "file is \(size) bytes, over the \(maximumSize)-byte limit")
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
