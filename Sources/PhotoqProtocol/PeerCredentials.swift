#if canImport(Glibc)
import Glibc
#endif

/// SO_PEERCRED's `struct ucred` (pid_t, uid_t, gid_t), declared here because
/// Glibc's module only exposes it with _GNU_SOURCE. The kernel fills it in at
/// connect time, so neither end can fake it: the daemon uses it to serve only
/// its own user, the client to talk only to its own user's daemon.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32 = 0
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0

    public init(pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// The credentials of the process at the other end of `fd`, or nil.
    public static func of(_ fd: Int32) -> PeerCredentials? {
        var cred = PeerCredentials()
        var len = socklen_t(MemoryLayout<PeerCredentials>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0,
              len == socklen_t(MemoryLayout<PeerCredentials>.size) else { return nil }
        return cred
    }
}
