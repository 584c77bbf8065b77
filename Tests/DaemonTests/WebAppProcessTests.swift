import Foundation
import Glibc
import XCTest
import TestSupport

/// `photoq --web` started through the real photoq binary (which hands over to
/// photoq-web), with its address read from the first line of stdout.
final class WebAppProcess {
    let process = Process()
    let address: String
    let port: Int
    let token: String
    let logPath: String
    let cacheHome: String

    init(_ testCase: XCTestCase, socket: String, directory: String, arguments: [String] = ["--port", "0"],
         file: StaticString = #filePath, line: UInt = #line) throws {
        _ = try DaemonProcess.binary("photoq-web")
        process.executableURL = URL(fileURLWithPath: try DaemonProcess.binary("photoq"))
        process.arguments = ["--socket", socket, "--web"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["PHOTOQ_MODEL_DIR"] = TestEnvironment.modelDirectory
        env["OPENBLAS_NUM_THREADS"] = "1"
        // The test's own thumbnail cache, never the user's.
        env["XDG_CACHE_HOME"] = directory + "/cache"
        process.environment = env
        logPath = directory + "/photoq-web.log"
        cacheHome = directory + "/cache"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let started = process
        testCase.addTeardownBlock { if started.isRunning { kill(started.processIdentifier, SIGKILL); started.waitUntilExit() } }
        address = try Self.firstLine(out.fileHandleForReading, timeout: 60)
        let pattern = try NSRegularExpression(pattern: #"^http://127\.0\.0\.1:([0-9]+)/\?token=([0-9a-f]{32})$"#)
        guard let match = pattern.firstMatch(in: address, range: NSRange(address.startIndex..., in: address)),
              let portRange = Range(match.range(at: 1), in: address), let tokenRange = Range(match.range(at: 2), in: address),
              let port = Int(address[portRange]) else {
            throw DaemonProcess.Failure("first stdout line is not the address: \(address.debugDescription)\n" +
                                        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""))
        }
        self.port = port
        token = String(address[tokenRange])
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Reads up to the first newline (the server keeps stdout open while it runs).
    private static func firstLine(_ handle: FileHandle, timeout: Double) throws -> String {
        let fd = handle.fileDescriptor
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { break }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        throw DaemonProcess.Failure("no address line within \(timeout) s (got \(String(decoding: bytes, as: UTF8.self).debugDescription))")
    }

    /// SIGTERM; the exit status.
    func terminate(timeout: Double = 15) -> Int32? {
        process.terminate()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// A request with exactly these headers: the Host line is the caller's
    /// (or the server's own name when `host` is nil), so foreign names can be sent.
    func request(_ path: String, host: String? = nil, headers: [(String, String)] = [], authorized: Bool = true,
                 method: String = "GET") throws -> RawHTTPResponse {
        var lines = ["\(method) \(path) HTTP/1.1", "Host: \(host ?? "127.0.0.1:\(port)")", "Connection: close"]
        if authorized { lines.append("Authorization: Bearer \(token)") }
        lines += headers.map { "\($0.0): \($0.1)" }
        return try RawHTTPResponse.exchange(port: port, request: lines.joined(separator: "\r\n") + "\r\n\r\n")
    }
}

/// An HTTP/1.1 response read off a raw TCP connection to 127.0.0.1.
struct RawHTTPResponse {
    let status: Int
    /// Lower-cased names; a repeated header keeps its last value.
    let headers: [String: String]
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any], text)
    }

    static func exchange(port: Int, request: String, timeout: Int = 120) throws -> RawHTTPResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw DaemonProcess.Failure("socket: \(errno)") }
        defer { close(fd) }
        var wait = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw DaemonProcess.Failure("connect to port \(port): errno \(errno)") }
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else {
            throw DaemonProcess.Failure("send failed")
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[..<n]
        }
        return try parse(received)
    }

    static func parse(_ bytes: [UInt8]) throws -> RawHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            throw DaemonProcess.Failure("no complete response: \(String(decoding: bytes, as: UTF8.self))")
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(bytes[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], at = 0
        while at < bytes.count {
            guard let lineEnd = (at..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[at..<lineEnd], as: UTF8.self)
                      .split(separator: ";")[0].trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            out += bytes[(lineEnd + 2)..<min(bytes.count, lineEnd + 2 + size)]
            at = lineEnd + 2 + size + 2
        }
        return out
    }
}

/// The daemon on the sample photos with the web app in front of it, shared by
/// the web tests of one class (indexing takes a while on two cores).
enum WebFixture {
    static func start(_ testCase: XCTestCase, prefix: String) throws -> (DaemonProcess, WebAppProcess) {
        _ = try TestEnvironment.model("lstm-scorer.safetensors")
        let dir = try TestEnvironment.temporaryDirectory(testCase, prefix: prefix)
        let daemon = try DaemonProcess(testCase, directory: dir)
        try daemon.start()
        let photos = try SamplePhotos.copy(try SamplePhotos.samples(), into: daemon.root + "/samples")
        try daemon.settle("samples indexed") { $0.indexed == photos.count }
        return (daemon, try WebAppProcess(testCase, socket: daemon.socket, directory: dir))
    }
}
