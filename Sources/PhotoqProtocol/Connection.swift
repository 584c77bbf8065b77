#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Why a round trip with the daemon failed.
public enum ConnectionError: Error, Sendable, CustomStringConvertible {
    /// No daemon listens at the path (missing socket, refused, not a socket).
    case unreachable(SocketError)
    /// The socket exists but belongs to someone else.
    case permissionDenied(SocketError)
    /// The daemon did not answer within the timeout.
    case timedOut(String)
    /// The daemon closed the connection or sent something that is not a response.
    case protocolViolation(String)
    /// The daemon answered with a typed error.
    case daemon(WireError)
    /// The process serving the socket runs as another user (it may have
    /// replaced the daemon's socket): nothing was sent to it.
    case untrustedServer(path: String, uid: UInt32?, expected: UInt32)

    public var description: String {
        switch self {
        case .unreachable(let e): "cannot reach photoqd: \(e)"
        case .permissionDenied(let e): "not allowed to use photoqd's socket: \(e)"
        case .timedOut(let what): "photoqd did not answer in time (\(what))"
        case .protocolViolation(let what): "unexpected reply from photoqd: \(what)"
        case .daemon(let e): e.message
        case .untrustedServer(let path, let uid, let expected):
            "the socket \(path) is served by \(uid.map { "uid \($0)" } ?? "an unknown user"), not by uid \(expected); "
                + "refusing to send it anything (another user may have replaced photoqd's socket)"
        }
    }
}

/// A blocking client connection: one request, one response at a time.
public final class DaemonConnection {
    private let fd: Int32
    private var decoder = FrameDecoder(maximumBytes: Wire.maximumResponseBytes)
    private var nextID = 1
    public let timeout: Double

    /// Connects to photoqd's socket at `path` and checks, with SO_PEERCRED,
    /// that the process serving it runs as `serverUID` (the caller's own uid
    /// unless a test says otherwise) before anything is sent.
    public init(path: String, timeout: Double = 30, serverUID: UInt32 = getuid()) throws(ConnectionError) {
        let fd: Int32
        do {
            fd = try UnixSocket.connect(to: path)
        } catch {
            if error.errno == EACCES || error.errno == EPERM { throw .permissionDenied(error) }
            throw .unreachable(error)
        }
        let peer = PeerCredentials.of(fd)
        guard let peer, peer.uid == serverUID else {
            close(fd)
            throw .untrustedServer(path: path, uid: peer?.uid, expected: serverUID)
        }
        self.fd = fd
        self.timeout = timeout
    }

    deinit { close(fd) }

    /// Sends `request` and decodes the matching result.
    public func call<Result: Codable & Sendable>(_ request: Request, expecting: Result.Type) throws(ConnectionError) -> Result {
        let id = nextID
        nextID += 1
        let body: Data
        do { body = try JSONEncoder().encode(RequestEnvelope(id: id, request: request)) } catch {
            throw .protocolViolation("cannot encode request: \(error)")
        }
        do {
            try sendFrame(Array(body))
        } catch {
            // The daemon may have refused the connection with an explanation
            // (permission, busy) and closed before reading the request.
            if let reply = try? receiveFrame(),
               let refusal = try? JSONDecoder().decode(ResponseEnvelope<NoResult>.self, from: Data(reply)).error {
                throw .daemon(refusal)
            }
            throw error
        }
        let reply = try receiveFrame()
        let envelope: ResponseEnvelope<Result>
        do { envelope = try JSONDecoder().decode(ResponseEnvelope<Result>.self, from: Data(reply)) } catch {
            // An error response decodes fine with any Result type; this is something else.
            throw .protocolViolation("undecodable response: \(error)")
        }
        if let error = envelope.error { throw .daemon(error) }
        guard envelope.version == Wire.version else {
            throw .protocolViolation("protocol version \(envelope.version), expected \(Wire.version)")
        }
        guard let result = envelope.result else { throw .protocolViolation("response without result") }
        return result
    }

    /// Writes raw bytes (tests use this to send malformed frames).
    public func sendRaw(_ bytes: [UInt8]) throws(ConnectionError) {
        let deadline = Deadline(secondsFromNow: timeout)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                try wait(events: Int16(POLLOUT), deadline: deadline, what: "sending")
                continue
            }
            throw .protocolViolation("connection closed while sending: \(SocketError("send", errno: errno))")
        }
    }

    public func sendFrame(_ body: [UInt8]) throws(ConnectionError) {
        try sendRaw(Frame.encode(body))
    }

    /// Reads one frame's body.
    public func receiveFrame() throws(ConnectionError) -> [UInt8] {
        let deadline = Deadline(secondsFromNow: timeout)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            do {
                if let body = try decoder.next() { return body }
            } catch {
                throw .protocolViolation(error.description)
            }
            try wait(events: Int16(POLLIN), deadline: deadline, what: "waiting for the reply")
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                chunk.withUnsafeBytes { decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            } else if n == 0 {
                throw .protocolViolation("photoqd closed the connection")
            } else if errno != EINTR && errno != EAGAIN {
                throw .protocolViolation("receive failed: \(SocketError("recv", errno: errno))")
            }
        }
    }

    private func wait(events: Int16, deadline: Deadline, what: String) throws(ConnectionError) {
        var pfd = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let left = deadline.millisecondsLeft
            if left == 0 { throw .timedOut(what) }
            let rc = poll(&pfd, 1, left)
            if rc > 0 { return }
            if rc == 0 { throw .timedOut(what) }
            if errno != EINTR { throw .protocolViolation("poll failed: \(SocketError("poll", errno: errno))") }
        }
    }
}
