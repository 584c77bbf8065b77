import Glibc
import Foundation
import PhotoqProtocol

/// Answers one decoded request with an encoded response body.
public protocol RequestHandler: Sendable {
    func respond(to envelope: RequestEnvelope) -> [UInt8]
}

/// The socket server: one thread running a poll(2) loop over non-blocking
/// connections. Reads and writes never block, so a slow or silent client
/// only holds its own connection until its deadline; indexing runs on other
/// threads and is never waited on. Requests are answered inline (a search is
/// milliseconds), one at a time, which keeps index reads single-threaded.
public final class QueryServer: @unchecked Sendable {
    private let listener: Int32
    /// The path this server bound and removes on stop; nil when systemd
    /// passed the socket in (socket activation).
    public let socketPath: String?
    private let handler: any RequestHandler
    private let log: Log
    private let clientTimeout: Double
    private let maximumConnections: Int
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - listener: a listening, non-blocking stream socket.
    ///   - socketPath: removed on stop (nil when systemd owns the socket).
    public init(listener: Int32, socketPath: String?, handler: any RequestHandler, log: Log,
                clientTimeout: Double, maximumConnections: Int = 64) {
        self.listener = listener
        self.socketPath = socketPath
        self.handler = handler
        self.log = log
        self.clientTimeout = clientTimeout
        self.maximumConnections = maximumConnections
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds { Descriptor.makeNonBlockingCloseOnExec(fd) }
    }

    /// Binds `path` (0600 in a 0700 folder) and serves on it.
    public convenience init(bindingTo path: String, handler: any RequestHandler, log: Log, clientTimeout: Double) throws(DaemonError) {
        let fd = try ListeningSocket.bind(path: path)
        self.init(listener: fd, socketPath: path, handler: handler, log: log, clientTimeout: clientTimeout)
    }

    public func start() {
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "photoqd-server"
        thread = t
        t.start()
    }

    /// Stops accepting, closes connections, removes the socket file; waits for the loop to end.
    public func stop() {
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
        if thread != nil { finished.wait() }
        thread = nil
    }

    private final class Connection {
        let fd: Int32
        var decoder = FrameDecoder(maximumBytes: Wire.maximumRequestBytes)
        var output: [UInt8] = []
        var outputOffset = 0
        var closeAfterWrite = false
        /// Reply sent and write side shut: discarding input until the client
        /// closes, so its unread request does not turn our close into a reset
        /// that destroys the reply before it is read.
        var draining = false
        var deadline: Deadline

        init(fd: Int32, timeout: Double) {
            self.fd = fd
            deadline = Deadline(secondsFromNow: timeout)
        }

        var wantsWrite: Bool { outputOffset < output.count }
    }

    private func run() {
        var connections: [Int32: Connection] = [:]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        defer {
            for c in connections.values { close(c.fd) }
            close(listener)
            if let socketPath { unlink(socketPath) }
            close(wakeRead)
        }
        while true {
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            var timeout = Int32(1000)
            for c in connections.values {
                fds.append(pollfd(fd: c.fd, events: Int16(c.wantsWrite ? POLLOUT : POLLIN), revents: 0))
                timeout = min(timeout, max(c.deadline.millisecondsLeft, 1))
            }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 && errno != EINTR {
                log.error("poll failed: \(SocketError("poll", errno: errno))")
                return
            }
            if fds[0].revents != 0 { return }
            if fds[1].revents != 0 { acceptAll(into: &connections) }
            for p in fds.dropFirst(2) where p.revents != 0 {
                guard let c = connections[p.fd] else { continue }
                if !service(c, revents: p.revents, buffer: &buffer) {
                    close(c.fd)
                    connections[c.fd] = nil
                }
            }
            // Clients that stall (silent, or not reading their reply) are dropped at their deadline.
            for c in connections.values where c.deadline.millisecondsLeft == 0 {
                if !c.wantsWrite && !c.draining {
                    // Best effort: tell a silent client why, without waiting for it to read.
                    let body = ResponseEncoding.error(WireError(.timeout, "no complete request within \(clientTimeout) s"), id: 0)
                    _ = Frame.encode(body).withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                }
                log.debug("closing a stalled client connection")
                close(c.fd)
                connections[c.fd] = nil
            }
        }
    }

    private func acceptAll(into connections: inout [Int32: Connection]) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd >= 0 { Descriptor.makeNonBlockingCloseOnExec(fd) }
            if fd < 0 {
                if errno == EINTR { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK { log.warning("accept failed: \(SocketError("accept", errno: errno))") }
                return
            }
            let connection = Connection(fd: fd, timeout: clientTimeout)
            guard let peer = PeerCredentials.of(fd), peer.uid == getuid() else {
                let uid = PeerCredentials.of(fd).map { String($0.uid) } ?? "unknown"
                log.warning("refused a connection from uid \(uid)")
                reject(connection, WireError(.permissionDenied, "photoqd serves only uid \(getuid())"), into: &connections)
                continue
            }
            if connections.count >= maximumConnections {
                reject(connection, WireError(.busy, "too many connections; retry shortly"), into: &connections)
                continue
            }
            connections[fd] = connection
        }
    }

    /// Queues an error reply and closes once it is written (or the deadline passes).
    private func reject(_ c: Connection, _ error: WireError, into connections: inout [Int32: Connection]) {
        c.output = Frame.encode(ResponseEncoding.error(error, id: 0))
        c.closeAfterWrite = true
        if connections.count < maximumConnections * 2 { connections[c.fd] = c } else { close(c.fd) }
    }

    /// Handles readiness on one connection; false means close it.
    private func service(_ c: Connection, revents: Int16, buffer: inout [UInt8]) -> Bool {
        if c.wantsWrite {
            guard revents & Int16(POLLOUT) != 0 else { return revents & Int16(POLLERR | POLLHUP) == 0 }
            let n = c.output[c.outputOffset...].withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            c.outputOffset += n
            if c.wantsWrite { return true }
            c.output = []
            c.outputOffset = 0
            if c.closeAfterWrite {
                shutdown(c.fd, Int32(SHUT_WR))
                c.draining = true
                c.deadline = Deadline(secondsFromNow: 1)
                return true
            }
            c.deadline = Deadline(secondsFromNow: clientTimeout)
            return processBufferedFrames(c)
        }
        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        if n < 0 { return errno == EAGAIN || errno == EINTR }
        if c.draining { return true }
        buffer.withUnsafeBytes { c.decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        return processBufferedFrames(c)
    }

    /// Answers the next complete frame, if any. One response is in flight per
    /// connection; further pipelined frames wait until it is written.
    private func processBufferedFrames(_ c: Connection) -> Bool {
        let body: [UInt8]
        do {
            guard let next = try c.decoder.next() else { return true }
            body = next
        } catch {
            c.output = Frame.encode(ResponseEncoding.error(WireError(.requestTooLarge, error.description), id: 0))
            c.closeAfterWrite = true
            return true
        }
        let reply: [UInt8]
        switch ResponseEncoding.decodeRequest(body) {
        case .success(let envelope): reply = handler.respond(to: envelope)
        case .failure(let error): reply = ResponseEncoding.error(error, id: 0)
        }
        c.output = Frame.encode(reply)
        c.outputOffset = 0
        c.deadline = Deadline(secondsFromNow: clientTimeout)
        return true
    }
}
