import Glibc
import Foundation
import PhotoqProtocol

/// Answers decoded requests with encoded response bodies. Called from
/// several worker threads at once.
public protocol RequestHandler: Sendable {
    func respond(to envelope: RequestEnvelope) -> [UInt8]
    /// The requests that were waiting together, answered in order; a handler
    /// may share work between them (one encoder pass for every query text).
    func respond(toBatch envelopes: [RequestEnvelope]) -> [[UInt8]]
}

extension RequestHandler {
    public func respond(toBatch envelopes: [RequestEnvelope]) -> [[UInt8]] { envelopes.map(respond(to:)) }
}

/// How much the server takes on at once.
public struct ServerLimits: Sendable {
    /// Threads answering requests.
    public var workers: Int
    /// Open connections served at once (all from the daemon's own uid, the
    /// only one it serves); beyond it a client is answered `busy`.
    public var connections: Int
    /// Connections being refused (other uid, busy) kept open until their
    /// reply is read; beyond it they are closed after a best-effort reply.
    public var refusals: Int

    public init(workers: Int = ServerLimits.defaultWorkers, connections: Int = 1024, refusals: Int = 256) {
        self.workers = workers
        self.connections = connections
        self.refusals = refusals
    }

    /// One per core, at least 2 so a slow request never holds up the next
    /// one, at most 8 (a search is CPU-bound; more threads only queue).
    public static var defaultWorkers: Int { max(2, min(8, ProcessInfo.processInfo.activeProcessorCount)) }
}

/// The socket server: one thread running a poll(2) loop over non-blocking
/// connections, and a pool of workers answering complete requests. Reads and
/// writes never block, and a request is handed to a worker, so a slow, silent
/// or non-reading client only holds its own connection until its deadline;
/// indexing runs on other threads and is never waited on.
public final class QueryServer: @unchecked Sendable {
    private let listener: Int32
    /// The path this server bound and removes on stop; nil when systemd
    /// passed the socket in (socket activation).
    public let socketPath: String?
    private let handler: any RequestHandler
    private let log: Log
    private let clientTimeout: Double
    private let limits: ServerLimits
    private let workers: QueryWorkers
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1
    private let stopLock = NSLock()
    private var stopRequested = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - listener: a listening, non-blocking stream socket.
    ///   - socketPath: removed on stop (nil when systemd owns the socket).
    public init(listener: Int32, socketPath: String?, handler: any RequestHandler, log: Log,
                clientTimeout: Double, limits: ServerLimits = ServerLimits()) {
        self.listener = listener
        self.socketPath = socketPath
        self.handler = handler
        self.log = log
        self.clientTimeout = clientTimeout
        // Each connection is a descriptor; keep some for the index, inotify and photos.
        let spare = max(0, min(DescriptorLimit.raiseToHardLimit(), 1 << 24) - 128)
        var limits = limits
        limits.connections = max(1, min(limits.connections, spare * 3 / 4))
        limits.refusals = max(1, min(limits.refusals, spare / 4))
        self.limits = limits
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds { Descriptor.makeNonBlockingCloseOnExec(fd) }
        let wake = wakeWrite
        workers = QueryWorkers(count: limits.workers, answer: { [handler, log] bodies in
            var replies = [[UInt8]](repeating: [], count: bodies.count)
            var envelopes: [RequestEnvelope] = []
            var positions: [Int] = []
            for (i, body) in bodies.enumerated() {
                switch ResponseEncoding.decodeRequest(body) {
                case .success(let envelope):
                    envelopes.append(envelope)
                    positions.append(i)
                case .failure(let error):
                    log.info("refused a request: \(error)")
                    replies[i] = ResponseEncoding.error(error, id: 0)
                }
            }
            for (reply, i) in zip(handler.respond(toBatch: envelopes), positions) { replies[i] = reply }
            return replies
        }, replied: {
            // A full pipe already guarantees a wake-up; nothing to do on EAGAIN.
            var b: UInt8 = 1
            _ = write(wake, &b, 1)
        })
    }

    /// Binds `path` (0600 in a 0700 folder) and serves on it.
    public convenience init(bindingTo path: String, handler: any RequestHandler, log: Log, clientTimeout: Double,
                            limits: ServerLimits = ServerLimits()) throws(DaemonError) {
        let fd = try ListeningSocket.bind(path: path)
        self.init(listener: fd, socketPath: path, handler: handler, log: log, clientTimeout: clientTimeout, limits: limits)
    }

    public func start() {
        workers.start()
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "photoqd-server"
        thread = t
        t.start()
    }

    /// Stops accepting, closes connections, removes the socket file; waits
    /// for the loop and for requests being answered.
    public func stop() {
        stopLock.withLock { stopRequested = true }
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
        guard thread != nil else { return }
        finished.wait()
        workers.stop()
        thread = nil
        close(wakeWrite)
    }

    private final class Connection {
        let fd: Int32
        /// Tells replies for a closed connection from those for a later one reusing its fd.
        let serial: UInt64
        var decoder = FrameDecoder(maximumBytes: Wire.maximumRequestBytes)
        var output: [UInt8] = []
        var outputOffset = 0
        var closeAfterWrite = false
        /// A request is with a worker: nothing is read and no deadline runs
        /// until its reply is back (requests on one connection are answered in order).
        var inFlight = false
        /// Reply sent and write side shut: discarding input until the client
        /// closes, so its unread request does not turn our close into a reset
        /// that destroys the reply before it is read.
        var draining = false
        /// Refused (other uid or busy): counted against `limits.refusals`.
        let refused: Bool
        var deadline: Deadline

        init(fd: Int32, serial: UInt64, timeout: Double, refused: Bool = false) {
            self.fd = fd
            self.serial = serial
            self.refused = refused
            deadline = Deadline(secondsFromNow: timeout)
        }

        var wantsWrite: Bool { outputOffset < output.count }
    }

    /// The loop's state: only the server thread touches it.
    private var connections: [Int32: Connection] = [:]
    private var served = 0
    private var refusing = 0
    private var nextSerial: UInt64 = 1
    /// accept failed for lack of descriptors: the listener rests until then.
    private var acceptPausedUntil: Deadline?

    private func run() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        defer {
            for c in connections.values { close(c.fd) }
            connections = [:]
            close(listener)
            if let socketPath { unlink(socketPath) }
            close(wakeRead)
        }
        var fds: [pollfd] = []
        while true {
            if let paused = acceptPausedUntil, paused.millisecondsLeft == 0 { acceptPausedUntil = nil }
            let listening = acceptPausedUntil == nil
            fds.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: listening ? listener : -1, events: Int16(POLLIN), revents: 0))
            var timeout = Int32(1000)
            if let paused = acceptPausedUntil { timeout = min(timeout, max(paused.millisecondsLeft, 1)) }
            for c in connections.values where !c.inFlight {
                fds.append(pollfd(fd: c.fd, events: Int16(c.wantsWrite ? POLLOUT : POLLIN), revents: 0))
                timeout = min(timeout, max(c.deadline.millisecondsLeft, 1))
            }
            let n = poll(&fds, nfds_t(fds.count), timeout)
            if n < 0 && errno != EINTR {
                log.error("poll failed: \(SocketError("poll", errno: errno))")
                return
            }
            if fds[0].revents != 0 {
                drainWakePipe()
                if stopLock.withLock({ stopRequested }) { return }
                deliverReplies()
            }
            for p in fds.dropFirst(2) where p.revents != 0 {
                guard let c = connections[p.fd], !c.inFlight else { continue }
                if !service(c, revents: p.revents, buffer: &buffer) { drop(c) }
            }
            // After the readiness above is handled: a new connection may reuse a closed one's fd.
            if fds[1].revents != 0 { acceptAll() }
            // Clients that stall (silent, or not reading their reply) are dropped at their deadline.
            for c in connections.values where !c.inFlight && c.deadline.millisecondsLeft == 0 {
                if !c.wantsWrite && !c.draining {
                    // Best effort: tell a silent client why, without waiting for it to read.
                    let body = ResponseEncoding.error(WireError(.timeout, "no complete request within \(clientTimeout) s"), id: 0)
                    _ = Frame.encode(body).withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                }
                log.debug("closing a stalled client connection")
                drop(c)
            }
        }
    }

    private func drainWakePipe() {
        var bytes = [UInt8](repeating: 0, count: 256)
        while bytes.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Hands each worker's reply to its connection and starts writing it.
    private func deliverReplies() {
        for reply in workers.takeReplies() {
            guard let c = connections[reply.fd], c.serial == reply.serial else { continue }
            c.inFlight = false
            c.output = Frame.encode(reply.body)
            c.outputOffset = 0
            c.deadline = Deadline(secondsFromNow: clientTimeout)
            // Most replies fit the socket buffer: write now rather than after another poll.
            if !writeOutput(c) { drop(c) }
        }
    }

    private func drop(_ c: Connection) {
        close(c.fd)
        connections[c.fd] = nil
        if c.refused { refusing -= 1 } else { served -= 1 }
    }

    private func acceptAll() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM {
                    // Waiting clients stay in the backlog (no reset) until descriptors free up.
                    log.warning("accept failed: \(SocketError("accept", errno: e)); pausing new connections for 100 ms",
                                ["connections": connections.count])
                    acceptPausedUntil = Deadline(secondsFromNow: 0.1)
                } else if e != EAGAIN && e != EWOULDBLOCK {
                    log.warning("accept failed: \(SocketError("accept", errno: e))")
                }
                return
            }
            Descriptor.makeNonBlockingCloseOnExec(fd)
            let serial = nextSerial
            nextSerial += 1
            guard let peer = PeerCredentials.of(fd), peer.uid == getuid() else {
                let uid = PeerCredentials.of(fd).map { String($0.uid) } ?? "unknown"
                log.warning("refused a connection from uid \(uid)")
                refuse(fd, serial: serial, WireError(.permissionDenied, "photoqd serves only uid \(getuid())"))
                continue
            }
            if served >= limits.connections {
                warnBusy()
                refuse(fd, serial: serial, WireError(.busy, "photoqd already serves \(served) connections, its limit; retry shortly"))
                continue
            }
            connections[fd] = Connection(fd: fd, serial: serial, timeout: clientTimeout)
            served += 1
        }
    }

    private var lastBusyWarning: UInt64 = 0
    private var busySinceWarning = 0

    /// One line a second at most, however many clients a flood brings.
    private func warnBusy() {
        busySinceWarning += 1
        let now = Deadline.now()
        guard now - lastBusyWarning >= 1_000_000_000 else { return }
        log.warning("refused \(busySinceWarning) connections: \(served) clients are connected, the most served at once")
        lastBusyWarning = now
        busySinceWarning = 0
    }

    /// Sends an error reply and closes once the client has read it, so it
    /// gets an answer rather than a reset. Past `limits.refusals` the reply
    /// is sent without waiting and the connection closed at once.
    private func refuse(_ fd: Int32, serial: UInt64, _ error: WireError) {
        let frame = Frame.encode(ResponseEncoding.error(error, id: 0))
        guard refusing < limits.refusals else {
            _ = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            shutdown(fd, Int32(SHUT_WR))
            discardInput(fd)
            close(fd)
            return
        }
        let c = Connection(fd: fd, serial: serial, timeout: 1, refused: true)
        c.output = frame
        c.closeAfterWrite = true
        connections[fd] = c
        refusing += 1
        if !writeOutput(c) { drop(c) }
    }

    /// Reads whatever the client already sent, so closing does not reset the connection.
    private func discardInput(_ fd: Int32) {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while scratch.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }) > 0 {}
    }

    /// Writes as much pending output as the socket takes; false means close.
    private func writeOutput(_ c: Connection) -> Bool {
        while c.wantsWrite {
            let n = c.output[c.outputOffset...].withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
            c.outputOffset += n
        }
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

    /// Handles readiness on one connection; false means close it.
    private func service(_ c: Connection, revents: Int16, buffer: inout [UInt8]) -> Bool {
        if c.wantsWrite {
            guard revents & Int16(POLLOUT) != 0 else { return revents & Int16(POLLERR | POLLHUP) == 0 }
            return writeOutput(c)
        }
        let n = buffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { return false }
        if n < 0 { return errno == EAGAIN || errno == EINTR }
        if c.draining { return true }
        buffer.withUnsafeBytes { c.decoder.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        return processBufferedFrames(c)
    }

    /// Hands the next complete frame, if any, to a worker. One request is in
    /// flight per connection; further pipelined frames wait for its reply.
    private func processBufferedFrames(_ c: Connection) -> Bool {
        let body: [UInt8]
        do {
            guard let next = try c.decoder.next() else { return true }
            body = next
        } catch {
            c.output = Frame.encode(ResponseEncoding.error(WireError(.requestTooLarge, error.description), id: 0))
            c.closeAfterWrite = true
            return writeOutput(c)
        }
        c.inFlight = true
        workers.submit(QueryWorkers.Job(fd: c.fd, serial: c.serial, body: body))
        return true
    }
}
