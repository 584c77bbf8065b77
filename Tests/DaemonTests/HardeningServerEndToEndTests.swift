import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// The defects of the adversarial run, against the real binaries: request
/// values that used to kill photoqd, socket and state folders others can
/// reach, an impostor serving the socket, and clients starved by idle ones.
final class HardeningServerEndToEndTests: XCTestCase {
    private func daemonWithOnePhoto(_ prefix: String) throws -> (DaemonProcess, String) {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: prefix)
        let daemon = try DaemonProcess(self, directory: dir)
        let dog = try SamplePhotos.samples().filter { $0.hasSuffix("/dog.jpg") }
        XCTAssertEqual(dog.count, 1)
        _ = try SamplePhotos.copy(dog, into: daemon.root)
        try daemon.start()
        try daemon.settle("one photo") { $0.indexed == 1 }
        return (daemon, dir)
    }

    /// Sends one raw request body and decodes the reply as a search result or an error.
    private func send(_ daemon: DaemonProcess, _ json: String) throws -> (hits: Int?, error: WireErrorCode?) {
        let c = try DaemonConnection(path: daemon.socket, timeout: 10)
        try c.sendFrame(Array(json.utf8))
        let reply = try c.receiveFrame()
        let envelope = try JSONDecoder().decode(ResponseEnvelope<SearchResult>.self, from: Data(reply))
        return (envelope.result?.hits.count, envelope.error?.code)
    }

    func testOutOfRangeRequestValuesAreAnsweredAndTheDaemonLives() throws {
        let (daemon, _) = try daemonWithOnePhoto("pqhv")
        func search(_ filters: String, k: String = "5", text: String = "a dog") -> String {
            #"{"version":1,"id":4,"method":"search","params":{"text":"\#(text)","k":\#(k),"filters":\#(filters)}}"#
        }
        let cases: [(String, String, Int?, WireErrorCode?)] = [
            // Dates beyond Int64 nanoseconds (before 1678, after 2262) are clamped, not trapped on.
            ("after 2263", search(#"{"modifiedAfter":9.3e9}"#), 0, nil),
            ("after 1e308", search(#"{"modifiedAfter":1e308}"#), 0, nil),
            ("before 1653", search(#"{"modifiedBefore":-1e10}"#), 0, nil),
            ("after 1600", search(#"{"modifiedAfter":-1.17e10}"#), 1, nil),
            ("before 2263", search(#"{"modifiedBefore":9.3e9}"#), 1, nil),
            ("whole range", search(#"{"modifiedAfter":-1e308,"modifiedBefore":1e308}"#), 1, nil),
            ("after 1e400", search(#"{"modifiedAfter":1e400}"#), nil, .invalidArgument),
            ("before -1e400", search(#"{"modifiedBefore":-1e400}"#), nil, .invalidArgument),
            ("NaN", search(#"{"modifiedAfter":NaN}"#), nil, .malformedRequest),
            ("k 1e30", search("{}", k: "1e30"), nil, .invalidArgument),
            ("minScore 2", #"{"version":1,"id":4,"method":"search","params":{"text":"a dog","k":5,"filters":{},"minScore":2}}"#, nil, .invalidArgument),
            ("minScore 1e400", #"{"version":1,"id":4,"method":"search","params":{"text":"a dog","k":5,"filters":{},"minScore":1e400}}"#, nil, .invalidArgument),
            ("k 2^63-1", search("{}", k: "9223372036854775807"), nil, .invalidArgument),
            ("k -1", search("{}", k: "-1"), nil, .invalidArgument),
            ("long text", search("{}", text: String(repeating: "dog ", count: 2000)), nil, .invalidArgument),
            ("relative folder", search(#"{"folder":"Pictures"}"#), nil, .invalidArgument),
            ("NUL in folder", search(#"{"folder":"/a\u0000b"}"#), nil, .invalidArgument),
            ("photo id -1", #"{"version":1,"id":4,"method":"similar","params":{"photo":{"id":-1},"k":3,"filters":{}}}"#, nil, .invalidArgument),
            ("photo id 1e30", #"{"version":1,"id":4,"method":"get","params":{"photo":{"id":1e30}}}"#, nil, .invalidArgument),
            ("no photo", #"{"version":1,"id":4,"method":"get","params":{"photo":{}}}"#, nil, .invalidArgument),
            ("id 1e300", #"{"version":1,"id":1e300,"method":"status"}"#, nil, .invalidArgument),
        ]
        for (name, json, hits, error) in cases {
            let reply = try send(daemon, json)
            XCTAssertEqual(reply.error, error, name)
            if let hits { XCTAssertEqual(reply.hits, hits, name) }
            XCTAssertTrue(daemon.process?.isRunning == true, "photoqd died on \(name):\n\(daemon.log.suffix(2000))")
        }
        // The client's dates: far past and future work, impossible days are usage errors.
        let after2263 = try daemon.photoq(["--after", "2263-01-01", "a dog"])
        XCTAssertEqual(after2263.status, 1, after2263.stderr)
        let after1600 = try daemon.photoq(["--after", "1600-01-01", "a dog"])
        XCTAssertEqual(after1600.status, 0, after1600.stderr)
        XCTAssertEqual(after1600.stdout, daemon.root + "/dog.jpg\n")
        XCTAssertEqual(try daemon.photoq(["--before", "1600-01-01", "a dog"]).status, 1)
        XCTAssertEqual(try daemon.photoq(["--before", "2263-01-01", "a dog"]).stdout, daemon.root + "/dog.jpg\n")
        XCTAssertEqual(try daemon.photoq(["--after", "9999-12-31", "a dog"]).status, 1)
        for bad in ["2024-02-30", "-2024-01-01", "99999999999999999-01-01", "10000-01-01"] {
            let r = try daemon.photoq(["--after", bad, "a dog"])
            XCTAssertEqual(r.status, 64, "\(bad): \(r.stderr)")
        }
        XCTAssertTrue(daemon.log.contains("refused a search request: invalid_argument"), "bad requests are logged")
        // A valid query still works afterwards.
        XCTAssertEqual(try daemon.photoq(["-n", "1", "a dog"]).stdout, daemon.root + "/dog.jpg\n")
        XCTAssertEqual(try daemon.status().indexed, 1)
    }

    /// Runs photoqd expecting it to refuse to start; kills it if it serves instead.
    private func photoqdRefuses(_ arguments: [String], timeout: Double = 20) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try DaemonProcess.binary("photoqd"))
        p.arguments = arguments + ["--models", TestEnvironment.modelDirectory, "--threads", "1"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return (-1, "photoqd kept running")
        }
        return (p.terminationStatus, String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func testSocketFolderOthersCanWriteIsRefused() throws {
        try DaemonProcess.requireModels()
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqhs")
        let library = dir + "/library"
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        for (name, mode) in [("open", 0o777), ("sticky", 0o1777), ("group", 0o770)] {
            let folder = dir + "/" + name
            XCTAssertEqual(mkdir(folder, 0o700), 0)
            XCTAssertEqual(chmod(folder, mode_t(mode)), 0)
            let r = try photoqdRefuses(["--root", library, "--db", dir + "/state-" + name, "--socket", folder + "/photoq.sock"])
            XCTAssertEqual(r.status, 71, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("writable by other users"), "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/photoq.sock"), name)
        }
        // A private folder inside one others can write to can be swapped underneath.
        XCTAssertEqual(mkdir(dir + "/shared", 0o700), 0)
        XCTAssertEqual(chmod(dir + "/shared", 0o777), 0)
        XCTAssertEqual(mkdir(dir + "/shared/mine", 0o700), 0)
        let nested = try photoqdRefuses(["--root", library, "--db", dir + "/state-nested", "--socket", dir + "/shared/mine/photoq.sock"])
        XCTAssertEqual(nested.status, 71, nested.stderr)
        XCTAssertTrue(nested.stderr.contains("above the socket's folder"), nested.stderr)
    }

    func testStateFolderOpenToOthersIsMadePrivate() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqhd")
        let daemon = try DaemonProcess(self, directory: dir)
        XCTAssertEqual(mkdir(daemon.db, 0o700), 0)
        XCTAssertEqual(chmod(daemon.db, 0o777), 0)
        try daemon.start()
        var st = stat()
        XCTAssertEqual(stat(daemon.db, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o700, "the state folder stays open to others")
        XCTAssertTrue(daemon.log.contains("made it private"), daemon.log)
        XCTAssertEqual(daemon.terminate(), 0)
    }

    /// Another user replaced the socket (its folder was world-writable): the
    /// client must refuse before sending the query, not print their answer.
    func testClientRefusesAnImpostorServingTheSocket() throws {
        let python = "/usr/bin/python3"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
              FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("needs root, setpriv and /usr/bin/python3 to run a server as another user")
        }
        let photoq = try DaemonProcess.binary("photoq")
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqhi")
        chmod(dir, 0o755)
        let shared = dir + "/shared"
        XCTAssertEqual(mkdir(shared, 0o700), 0)
        XCTAssertEqual(chmod(shared, 0o777), 0)
        let socket = shared + "/photoq.sock"
        let impostor = Process()
        impostor.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        impostor.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", Self.impostorScript, socket, shared]
        impostor.standardError = FileHandle.nullDevice
        try impostor.run()
        defer { if impostor.isRunning { kill(impostor.processIdentifier, SIGKILL) }; impostor.waitUntilExit() }
        try eventually("the impostor listens", timeout: 10) {
            FileManager.default.fileExists(atPath: shared + "/ready") || !impostor.isRunning
        }
        guard FileManager.default.fileExists(atPath: shared + "/ready") else { throw XCTSkip("uid 65534 cannot run \(python) here") }

        let r = try TestEnvironment.run(photoq, ["--socket", socket, "--no-rerank", "a dog"])
        let stdout = String(decoding: r.stdout, as: UTF8.self)
        let stderr = String(decoding: r.stderr, as: UTF8.self)
        XCTAssertFalse(stdout.contains("impostor"), "the client printed the impostor's answer")
        XCTAssertEqual(r.status, 77, stderr)
        XCTAssertTrue(stderr.contains("served by uid 65534"), stderr)
        try eventually("the impostor finishes", timeout: 10) { !impostor.isRunning }
        let received = try String(contentsOfFile: shared + "/received", encoding: .utf8)
        XCTAssertEqual(received, "0", "the client sent the impostor \(received) bytes")
    }

    /// photoqd answers a client of another uid `permission_denied` (the
    /// client is a raw one: photoq itself would refuse photoqd first).
    func testDaemonRefusesAClientOfAnotherUser() throws {
        let python = "/usr/bin/python3"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"),
              FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("needs root, setpriv and /usr/bin/python3 to act as another user")
        }
        let (daemon, dir) = try daemonWithOnePhoto("pqho")
        // Open the folder and socket so only SO_PEERCRED stands in the way.
        chmod(dir, 0o755)
        chmod(dir + "/run", 0o755)
        chmod(daemon.socket, 0o777)
        let client = #"""
        import socket, struct, sys
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        body = b'{"version":1,"id":1,"method":"search","params":{"text":"a dog","k":3,"filters":{}}}'
        try:
            s.sendall(struct.pack(">I", len(body)) + body)
        except OSError:
            pass
        header = s.recv(4, socket.MSG_WAITALL)
        sys.stdout.write(s.recv(struct.unpack(">I", header)[0], socket.MSG_WAITALL).decode())
        """#
        let r = try TestEnvironment.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", python, "-c", client, daemon.socket])
        let stderr = String(decoding: r.stderr, as: UTF8.self)
        if stderr.contains("Permission denied") { throw XCTSkip("uid 65534 cannot reach the socket here: \(stderr)") }
        XCTAssertEqual(r.status, 0, stderr)
        let reply = try JSONDecoder().decode(ResponseEnvelope<NoResult>.self, from: r.stdout)
        XCTAssertEqual(reply.error?.code, .permissionDenied)
        XCTAssertTrue(reply.error?.message.contains("serves only uid 0") == true, "\(String(describing: reply.error))")
        XCTAssertEqual(try daemon.status().indexed, 1, "the daemon keeps serving its owner")
    }

    /// A reply's numbers beyond Int's range (a daemon of the same user, but
    /// buggy or newer) are printed, not trapped on.
    func testClientSurvivesHugeNumbersInReplies() throws {
        let photoq = try DaemonProcess.binary("photoq")
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqhn")
        let socket = dir + "/fake.sock"
        let listener = try HardeningServerUnitTests.listen(socket)
        let replies = [
            #"{"version":1,"id":1,"result":{"indexed":1,"pending":0,"failed":0,"modelID":"m","dimension":3,"roots":["/r"],"#
                + #""watcher":"watching","watches":1,"uptimeSeconds":1e300,"pid":7}}"#,
            #"{"version":1,"id":1,"result":{"hits":[{"id":1,"path":"/p.jpg","score":3e38,"modified":1e300}]}}"#,
        ]
        let server = Thread { Self.answer(listener, with: replies) }
        server.start()
        defer { close(listener) }
        let status = try TestEnvironment.run(photoq, ["--socket", socket, "--status"])
        XCTAssertEqual(status.status, 0, String(decoding: status.stderr, as: UTF8.self))
        XCTAssertTrue(String(decoding: status.stdout, as: UTF8.self).contains("up 9000000000000000000 s"))
        let search = try TestEnvironment.run(photoq, ["--socket", socket, "--no-rerank", "--scores", "dog"])
        XCTAssertEqual(search.status, 0, String(decoding: search.stderr, as: UTF8.self))
        XCTAssertTrue(String(decoding: search.stdout, as: UTF8.self).hasSuffix("\t/p.jpg\n"), String(decoding: search.stdout, as: UTF8.self))
    }

    /// Answers one connection per reply: reads a frame, sends the reply.
    private static func answer(_ listener: Int32, with replies: [String]) {
        for reply in replies {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            var header = [UInt8](repeating: 0, count: 4)
            guard recv(fd, &header, 4, Int32(MSG_WAITALL)) == 4 else { close(fd); return }
            var body = [UInt8](repeating: 0, count: Int(header[2]) << 8 | Int(header[3]))
            _ = recv(fd, &body, body.count, Int32(MSG_WAITALL))
            let frame = Frame.encode(Array(reply.utf8))
            _ = frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(fd)
        }
    }

    /// Listens on argv[1], answers one connection with a fake search result,
    /// and records in argv[2]/received how many bytes the client sent.
    static let impostorScript = #"""
    import json, os, socket, struct, sys
    path, folder = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, 0o777)
    s.listen(1)
    open(os.path.join(folder, "ready"), "w").close()
    s.settimeout(30)
    c, _ = s.accept()
    c.settimeout(5)
    received = b""
    try:
        while len(received) < 4 or len(received) < 4 + struct.unpack(">I", received[:4])[0]:
            chunk = c.recv(65536)
            if not chunk:
                break
            received += chunk
        if received:
            body = json.dumps({"version": 1, "id": 1, "result": {"hits": [
                {"id": 1, "path": "/impostor.jpg", "score": 1.0, "modified": 0}]}}).encode()
            c.sendall(struct.pack(">I", len(body)) + body)
    except OSError:
        pass
    with open(os.path.join(folder, "received"), "w") as f:
        f.write(str(len(received)))
    c.close()
    """#

    /// 200 silent connections held open, then 100 clients at once: every
    /// query is answered (no `busy`, no reset).
    func testIdleConnectionsAndABurstOfClientsAreAllServed() throws {
        let (daemon, _) = try daemonWithOnePhoto("pqhc")
        let idle = try (0..<200).map { _ in try DaemonConnection(path: daemon.socket, timeout: 30) }
        let failures = LockedBox<[String]>()
        failures.value = []
        let socket = daemon.socket
        DispatchQueue.concurrentPerform(iterations: 100) { i in
            for _ in 0..<2 {
                do {
                    let hits = try DaemonConnection(path: socket, timeout: 60)
                        .call(.search(SearchRequest(text: "a dog \(i)", k: 3, minScore: -1)), expecting: SearchResult.self).hits
                    if hits.count != 1 { failures.mutate { $0?.append("client \(i): \(hits.count) hits") } }
                } catch {
                    failures.mutate { $0?.append("client \(i): \(error)") }
                }
            }
        }
        XCTAssertEqual(failures.value ?? [], [], daemon.log.suffix(2000).description)
        XCTAssertEqual(idle.count, 200)
        XCTAssertTrue(daemon.process?.isRunning == true)
    }
}
