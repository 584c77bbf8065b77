import Glibc

/// SO_PEERCRED's `struct ucred` (pid_t, uid_t, gid_t), declared here because
/// Glibc's module only exposes it with _GNU_SOURCE.
struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0

    /// The credentials of the process at the other end of `fd`, or nil.
    static func of(_ fd: Int32) -> PeerCredentials? {
        var cred = PeerCredentials()
        var len = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { return nil }
        return cred
    }
}
