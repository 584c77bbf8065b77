import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport

/// The real photoqd binary (from `TestEnvironment.binDirectory`) running in a
/// temporary directory with the installed models; its stderr goes to `logPath`.
final class DaemonProcess {
    let root: String
    let db: String
    let socket: String
    let logPath: String
    private(set) var process: Process?

    /// The binary, or skips (fails under scripts/test) when it was not built.
    static func binary(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = TestEnvironment.binDirectory + "/" + name
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        let message = "\(path) is missing (swift build -c release, or set PHOTOQ_BIN_DIR)"
        if TestEnvironment.requireAssets { XCTFail(message, file: file, line: line) }
        throw XCTSkip(message)
    }

    /// Checks the models the daemon loads are installed (skips otherwise).
    static func requireModels() throws {
        for name in ["efficientnet-lite0.safetensors", "minilm-l6.safetensors", "minilm-vocab.txt", "imagenet-class-text.safetensors"] {
            _ = try TestEnvironment.model(name)
        }
    }

    init(_ testCase: XCTestCase, directory: String) throws {
        try Self.requireModels()
        _ = try Self.binary("photoqd")
        root = directory + "/library"
        db = directory + "/state"
        socket = directory + "/run/photoq.sock"
        logPath = directory + "/photoqd.log"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        testCase.addTeardownBlock { [self] in kill9() }
    }

    var arguments: [String] {
        ["--root", root, "--db", db, "--socket", socket, "--models", TestEnvironment.modelDirectory, "--threads", "2",
         "--batch-size", "8", "--log-level", "info"]
    }

    /// Starts photoqd and waits until its socket answers.
    func start(extraEnvironment: [String: String] = [:], extraArguments: [String] = [], timeout: Double = 60) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Self.binary("photoqd"))
        p.arguments = arguments + extraArguments
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in extraEnvironment { env[k] = v }
        p.environment = env
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardError = log
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !p.isRunning { throw Failure("photoqd exited with \(p.terminationStatus):\n\(self.log)") }
            if (try? status()) != nil { return }
            usleep(50_000)
        }
        throw Failure("photoqd did not answer within \(timeout) s:\n\(self.log)")
    }

    struct Failure: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func status() throws -> StatusResult {
        try DaemonConnection(path: socket, timeout: 10).call(.status, expecting: StatusResult.self)
    }

    /// Waits until nothing is pending and `condition` holds.
    func settle(_ what: String, timeout: Double = 120, file: StaticString = #filePath, line: UInt = #line,
                _ condition: (StatusResult) -> Bool) throws {
        try eventually("\(what)\n\(log.suffix(3000))", timeout: timeout, file: file, line: line) {
            guard let s = try? status() else { return false }
            return s.pending == 0 && s.watcher == "watching" && condition(s)
        }
    }

    /// SIGTERM; returns the exit status.
    @discardableResult
    func terminate() -> Int32 {
        guard let p = process else { return -1 }
        p.terminate()
        p.waitUntilExit()
        process = nil
        return p.terminationStatus
    }

    func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// Runs the photoq client against this daemon.
    func photoq(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try TestEnvironment.run(try Self.binary("photoq"), ["--socket", socket] + arguments)
        return (r.status, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
    }
}

/// Copies data photos into a library folder.
enum SamplePhotos {
    static func samples() throws -> [String] {
        let dir = try TestEnvironment.data("samples")
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jpg") }.sorted().map { dir + "/" + $0 }
    }

    static func coco(_ count: Int) throws -> [String] {
        let dir = try TestEnvironment.data("coco-val2017/images")
        return Array(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".jpg") }.sorted()
            .prefix(count).map { dir + "/" + $0 })
    }

    static func copy(_ files: [String], into folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return try files.map { source in
            let target = folder + "/" + (source as NSString).lastPathComponent
            try FileManager.default.copyItem(atPath: source, toPath: target)
            return target
        }
    }
}
