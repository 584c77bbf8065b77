import Glibc

/// sd_listen_fds(3): when systemd passes a listening socket, it is fd 3 and
/// $LISTEN_PID names this process (so a child never takes it by mistake).
public enum SocketActivation {
    public static let firstDescriptor: Int32 = 3

    /// The passed listening socket, or nil when not socket-activated.
    /// Throws when systemd passed something that is not a stream socket.
    public static func listeningSocket(environment: [String: String]) throws(DaemonError) -> Int32? {
        guard let pid = environment["LISTEN_PID"].flatMap({ Int32($0) }), pid == getpid(),
              let count = environment["LISTEN_FDS"].flatMap({ Int($0) }), count >= 1 else { return nil }
        // Children must not see the variables and think they were activated.
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        let fd = firstDescriptor
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else {
            throw DaemonError(.configuration, "LISTEN_FDS is set but fd 3 is not a socket; check photoqd.socket")
        }
        var type: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            throw DaemonError(.configuration, "the socket systemd passed is not a stream socket; use ListenStream= in photoqd.socket")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        // Extra descriptors are not ours to use; close them so they do not leak.
        if count > 1 { for extra in (fd + 1)..<(fd + Int32(count)) { close(extra) } }
        return fd
    }
}
