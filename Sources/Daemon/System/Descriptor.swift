import Glibc

/// fcntl helpers; pipe2/accept4 are not exported by Swift's Glibc module.
enum Descriptor {
    static func makeNonBlockingCloseOnExec(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
}
