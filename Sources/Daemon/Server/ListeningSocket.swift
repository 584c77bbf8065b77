import Glibc
import PhotoqProtocol

/// Creates photoqd's listening socket: mode 0600 inside a 0700 directory, so
/// only the owner can connect even before the SO_PEERCRED check.
enum ListeningSocket {
    /// Room for a burst of clients connecting at once (the kernel caps it at
    /// net.core.somaxconn); a full backlog makes connect wait, never reset.
    static let backlog: Int32 = 4096

    static func bind(path: String) throws(DaemonError) -> Int32 {
        try PrivateDirectory.prepareSocketFolder(of: path)
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
        guard listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            unlink(path)
            throw DaemonError(.socket, "\(SocketError("listen", errno: e, path: path))")
        }
        return fd
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
