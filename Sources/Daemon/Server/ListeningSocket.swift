import Glibc
import PhotoqProtocol

/// Creates photoqd's listening socket: mode 0600 inside a 0700 directory, so
/// only the owner can connect even before the SO_PEERCRED check.
enum ListeningSocket {
    static func bind(path: String) throws(DaemonError) -> Int32 {
        try prepareDirectory(of: path)
        try removeStaleSocket(at: path)
        var addr: sockaddr_un
        do { addr = try UnixSocket.address(path) } catch {
            throw DaemonError(.socket, "socket path \(path) is longer than \(UnixSocket.maximumPathBytes) bytes; pass a shorter --socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw DaemonError(.socket, "socket: \(SocketError("socket", errno: errno))") }
        // The umask makes bind create the file 0600, closing the window before chmod.
        let oldMask = umask(0o177)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        let bindErrno = errno
        umask(oldMask)
        guard rc == 0 else {
            close(fd)
            throw DaemonError(.socket, "cannot listen on \(path): \(SocketError("bind", errno: bindErrno))")
        }
        chmod(path, 0o600)
        guard listen(fd, 128) == 0 else {
            let e = errno
            close(fd)
            unlink(path)
            throw DaemonError(.socket, "\(SocketError("listen", errno: e, path: path))")
        }
        return fd
    }

    /// Creates the socket's folder 0700 when missing; refuses a folder owned by someone else.
    private static func prepareDirectory(of path: String) throws(DaemonError) {
        guard let slash = path.lastIndex(of: "/") else { return }
        let dir = String(path[..<slash])
        if dir.isEmpty { return }
        var st = stat()
        if stat(dir, &st) != 0 {
            try makeDirectories(dir)
            return
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw DaemonError(.socket, "\(dir) is not a directory") }
        guard st.st_uid == getuid() else {
            throw DaemonError(.socket, "\(dir) belongs to uid \(st.st_uid), not to this user; choose another --socket")
        }
    }

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

    /// A socket file left by a daemon that died is removed; a live daemon's is not.
    private static func removeStaleSocket(at path: String) throws(DaemonError) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw DaemonError(.socket, "\(path) exists and is not a socket; remove it or choose another --socket")
        }
        if let fd = try? UnixSocket.connect(to: path) {
            close(fd)
            throw DaemonError(.alreadyRunning, "another photoqd is already listening on \(path)")
        }
        unlink(path)
    }
}
