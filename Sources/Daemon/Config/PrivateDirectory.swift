import Glibc
import PhotoqProtocol

/// The folders photoqd keeps to its user: the socket's folder and the state
/// folder. Anyone who can write to the socket's folder can replace the socket
/// with their own and answer the user's queries; anyone who can read the
/// state folder can read the index of the user's photos.
public enum PrivateDirectory {
    /// Creates the socket's folder 0700 when missing; refuses one that is not
    /// the user's or that others may write to. A sticky world-writable folder
    /// (/tmp) is refused too: others cannot delete the socket there, but they
    /// can take its name first while photoqd is down.
    public static func prepareSocketFolder(of socketPath: String) throws(DaemonError) {
        guard let slash = socketPath.lastIndex(of: "/") else { return }
        let dir = String(socketPath[..<slash])
        if dir.isEmpty { throw DaemonError(.socket, "the socket cannot live in /; choose another --socket") }
        var st = stat()
        if stat(dir, &st) != 0 {
            try makeDirectories(dir)
            guard stat(dir, &st) == 0 else { throw DaemonError(.socket, "cannot create \(dir): \(SocketError("stat", errno: errno))") }
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw DaemonError(.socket, "\(dir) is not a directory; choose another --socket") }
        guard st.st_uid == getuid() else {
            throw DaemonError(.socket, "\(dir) belongs to uid \(st.st_uid), not to this user (uid \(getuid())); choose another --socket")
        }
        guard st.st_mode & 0o022 == 0 else {
            throw DaemonError(.socket, "\(dir) is writable by other users (mode \(octal(st.st_mode))), who could replace photoqd's socket; "
                              + "run `chmod 700 \(dir)` or choose another --socket")
        }
        try checkAncestors(of: dir)
    }

    /// Creates the state folder 0700 when missing; refuses one owned by
    /// another user; takes group and other permissions away from one that has them.
    public static func prepareStateFolder(_ dir: String, log: Log) throws(DaemonError) {
        var st = stat()
        if stat(dir, &st) != 0 {
            guard errno == ENOENT else { throw DaemonError(.index, "cannot use the state directory \(dir): \(SocketError("stat", errno: errno))") }
            do { try makeDirectories(dir) } catch {
                throw DaemonError(.index, "cannot create the state directory \(dir): \(error.message)")
            }
            guard stat(dir, &st) == 0 else { throw DaemonError(.index, "cannot create the state directory \(dir)") }
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw DaemonError(.index, "the state directory \(dir) is not a directory; pass another --db") }
        guard st.st_uid == getuid() else {
            throw DaemonError(.index, "the state directory \(dir) belongs to uid \(st.st_uid), not to this user (uid \(getuid())); pass another --db")
        }
        if st.st_mode & 0o077 != 0 {
            guard chmod(dir, 0o700) == 0 else {
                throw DaemonError(.index, "the state directory \(dir) is open to other users (mode \(octal(st.st_mode))) and cannot be made private: \(SocketError("chmod", errno: errno))")
            }
            log.notice("the state directory was open to other users; made it private", ["path": dir, "mode.before": octal(st.st_mode), "mode.now": "0700"])
        }
    }

    /// Every folder above the socket's must not let others swap the path
    /// underneath: owned by the user or root, and writable by others only
    /// when sticky (like /tmp or /run/user).
    private static func checkAncestors(of dir: String) throws(DaemonError) {
        var path = dir
        while let slash = path.lastIndex(of: "/") {
            path = slash == path.startIndex ? "/" : String(path[..<slash])
            var st = stat()
            guard stat(path, &st) == 0 else { break }
            guard st.st_uid == getuid() || st.st_uid == 0 else {
                throw DaemonError(.socket, "\(path), above the socket's folder, belongs to uid \(st.st_uid), who could replace photoqd's socket; choose another --socket")
            }
            guard st.st_mode & 0o022 == 0 || st.st_mode & S_ISVTX != 0 else {
                throw DaemonError(.socket, "\(path), above the socket's folder, is writable by other users (mode \(octal(st.st_mode))), who could replace photoqd's socket; choose another --socket")
            }
            if path == "/" { break }
        }
    }

    /// mkdir -p with every created folder 0700 (the umask cannot widen it).
    private static func makeDirectories(_ dir: String) throws(DaemonError) {
        var prefix = ""
        for component in dir.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw DaemonError(.socket, "cannot create \(prefix): \(SocketError("mkdir", errno: errno))")
            }
        }
        chmod(dir, 0o700)
    }

    static func octal(_ mode: mode_t) -> String {
        let bits = Int(mode & 0o7777)
        let digits = String(bits, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
