#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A 64-bit fingerprint of a file for move and copy detection: the hash of
/// its size, its first 64 KiB and its last 64 KiB. Reading at most 128 KiB
/// keeps it cheap for big photos; a photo edited only in the middle keeps
/// its fingerprint, which is why the index also compares size and mtime.
public enum ContentHash {
    public static let blockSize = 64 << 10

    /// Fingerprints the file at `path`. Throws `.io` when it can't be read.
    public static func of(path: String) throws -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IndexError(.io, "cannot open \(path) to fingerprint it", cause: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw IndexError(.io, "cannot stat \(path)", cause: String(cString: strerror(errno)))
        }
        let size = Int(info.st_size)
        var hasher = Hash64(seed: 0x7068_6F74_6F71) // "photoq"
        hasher.update(UInt64(size))
        var buffer = [UInt8](repeating: 0, count: blockSize)
        let headCount = min(size, blockSize)
        try readFully(fd, &buffer, count: headCount, offset: 0, path: path)
        buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<headCount])) }
        // The tail block, without re-reading bytes the head already covered.
        let tailStart = max(headCount, size - blockSize)
        let tailCount = size - tailStart
        if tailCount > 0 {
            try readFully(fd, &buffer, count: tailCount, offset: tailStart, path: path)
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<tailCount])) }
        }
        return hasher.finalize()
    }

    /// Fingerprints bytes already in memory, identically to `of(path:)`.
    public static func of(bytes: [UInt8]) -> UInt64 {
        var hasher = Hash64(seed: 0x7068_6F74_6F71)
        hasher.update(UInt64(bytes.count))
        let headCount = min(bytes.count, blockSize)
        let tailStart = max(headCount, bytes.count - blockSize)
        bytes.withUnsafeBytes { all in
            hasher.update(UnsafeRawBufferPointer(rebasing: all[0..<headCount]))
            if tailStart < bytes.count { hasher.update(UnsafeRawBufferPointer(rebasing: all[tailStart...])) }
        }
        return hasher.finalize()
    }

    private static func readFully(_ fd: Int32, _ buffer: inout [UInt8], count: Int, offset: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                // n == 0: the file shrank while we read it.
                throw IndexError(.io, "cannot read \(path) to fingerprint it",
                                 cause: n == 0 ? "file shrank while reading" : String(cString: strerror(errno)))
            }
            done += n
        }
    }
}
