import Glibc

/// Turns SIGTERM/SIGINT into a return from `wait()`. The signals are blocked
/// in every thread (call `blockTerminationSignals()` before starting any) and
/// taken synchronously with sigwait, so no handler runs at an arbitrary point.
public enum SignalWaiter {
    private static var terminationSet: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Blocks SIGTERM and SIGINT for this thread and the threads it starts later.
    public static func blockTerminationSignals() {
        var set = terminationSet
        pthread_sigmask(SIG_BLOCK, &set, nil)
        // A client that disconnects mid-reply must not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
    }

    /// Waits for SIGTERM or SIGINT; returns the signal number.
    public static func wait() -> Int32 {
        var set = terminationSet
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
