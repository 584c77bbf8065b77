import Glibc

/// The client's only terminal I/O: is stdout a terminal, and what does the
/// terminal answer to a Primary Device Attributes query.
public enum TerminalQuery {
    public static var standardOutputIsTerminal: Bool { isatty(1) == 1 }

    /// Writes `ESC [ c` to the controlling terminal and reads the reply for
    /// at most `timeoutMilliseconds`, with echo and line buffering off (raw
    /// mode) for the exchange and the terminal's settings restored after.
    /// nil: no terminal, or no reply in time.
    public static func deviceAttributes(timeoutMilliseconds: Int = 100) -> [UInt8]? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var saved = termios()
        guard tcgetattr(fd, &saved) == 0 else { return nil }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else { return nil }
        defer { _ = tcsetattr(fd, TCSANOW, &saved) }

        let query: [UInt8] = [0x1B, UInt8(ascii: "["), UInt8(ascii: "c")]
        guard query.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == query.count else { return nil }
        var reply: [UInt8] = []
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let end = Int(deadline.tv_sec) * 1000 + Int(deadline.tv_nsec) / 1_000_000 + timeoutMilliseconds
        while true {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let left = end - (Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000)
            guard left > 0 else { break }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(left))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 64)
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard n > 0 else { break }
            reply += buffer[0..<n]
            // The reply ends with "c" after its "ESC [ ?" introducer.
            if let start = reply.firstIndex(of: UInt8(ascii: "[")), reply[start...].contains(UInt8(ascii: "c")) { break }
        }
        return reply.isEmpty ? nil : reply
    }
}
