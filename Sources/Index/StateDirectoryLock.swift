#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// An exclusive `flock` on `STATE_DIR/photoqd.lock`, so two daemons never
/// open one LMDB environment (LMDB forbids opening an environment twice in
/// one process, and two writers would fight over the map size).
///
/// `flock` locks belong to the open file description, not the process: a
/// second `open` + `flock` in the same process conflicts too, which is what
/// makes the check work for in-process double opens as well. The lock is
/// released by `close()` or automatically when the process dies, so a
/// crashed daemon never leaves a stale lock behind. The file holds the
/// owner's pid for the error message.
final class StateDirectoryLock {
    static let fileName = "photoqd.lock"

    let path: String
    private var descriptor: Int32

    init(directory: String) throws {
        path = directory + "/" + Self.fileName
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw IndexError(.io, "cannot open the lock file \(path)", cause: String(cString: strerror(errno)))
        }
        var result: Int32
        repeat { result = flock(descriptor, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        if result != 0 {
            let error = errno
            let owner = Self.readPID(descriptor)
            _ = Glibc.close(descriptor)
            descriptor = -1
            if error == EWOULDBLOCK {
                let pid = owner.map { "pid \($0)" } ?? "pid unknown"
                throw IndexError(.locked, "another photoqd is using \(directory) (\(pid))")
            }
            throw IndexError(.io, "cannot lock \(path)", cause: String(cString: strerror(error)))
        }
        Self.writePID(descriptor)
    }

    deinit { close() }

    func close() {
        guard descriptor >= 0 else { return }
        // Closing the descriptor releases the flock; the file stays so a
        // concurrent opener never races on its creation.
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return Int32(String(text.prefix { $0.isNumber }))
    }

    private static func writePID(_ fd: Int32) {
        let bytes = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, bytes, bytes.count, 0)
    }
}
