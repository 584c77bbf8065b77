import Glibc

/// RLIMIT_NOFILE: every client connection is a descriptor, and distributions
/// start processes with a soft limit of 1024 (systemd) or less, well below the
/// hard limit an unprivileged process may raise it to.
enum DescriptorLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit now in force.
    @discardableResult
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
