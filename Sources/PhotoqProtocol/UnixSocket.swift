#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A failed socket system call, with the errno and the path involved.
public struct SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var path: String

    public init(_ operation: String, errno: Int32, path: String = "") {
        self.operation = operation
        self.errno = errno
        self.path = path
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return path.isEmpty ? "\(operation): \(reason)" : "\(operation) \(path): \(reason)"
    }
}

public enum UnixSocket {
    /// sun_path holds 108 bytes including the terminating NUL.
    public static let maximumPathBytes = 107

    /// Builds a sockaddr_un for `path`, or fails with ENAMETOOLONG.
    public static func address(_ path: String) throws(SocketError) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumPathBytes else {
            throw SocketError("socket path", errno: ENAMETOOLONG, path: path)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return addr
    }

    /// A connected, blocking stream socket to `path`.
    public static func connect(to path: String) throws(SocketError) -> Int32 {
        var addr = try address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", errno: Glibc.errno) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let e = Glibc.errno
            close(fd)
            throw SocketError("connect", errno: e, path: path)
        }
        return fd
    }

    /// The default socket: `$XDG_RUNTIME_DIR/photoq/photoq.sock`, else
    /// `/run/user/UID/photoq/photoq.sock`.
    public static func defaultPath(environment: [String: String]) -> String {
        let runtime = environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/user/\(getuid())"
        return runtime + "/photoq/photoq.sock"
    }
}

/// Milliseconds left until a monotonic deadline.
public struct Deadline: Sendable {
    public let nanoseconds: UInt64

    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public init(secondsFromNow seconds: Double) {
        // Capped at about 30 years, so no timeout can overflow the conversion.
        let capped = seconds.isFinite ? min(max(0, seconds), 1e9) : (seconds > 0 ? 1e9 : 0)
        nanoseconds = Deadline.now() + UInt64(capped * 1e9)
    }

    public var millisecondsLeft: Int32 {
        let now = Deadline.now()
        guard nanoseconds > now else { return 0 }
        return Int32(min(UInt64(Int32.max), (nanoseconds - now + 999_999) / 1_000_000))
    }
}
