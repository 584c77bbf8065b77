import Foundation
import XCTest

/// Paths and helpers the test suites share: the repository, the Python with
/// NumPy used for reference implementations, installed models and data.
public enum TestEnvironment {
    /// The repository root (found from this file's location).
    public static let repoRoot: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }()

    public static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// `$PHOTOQ_PYTHON`, else the repository's `.venv`.
    public static var python: String {
        environment["PHOTOQ_PYTHON"] ?? repoRoot + "/.venv/bin/python"
    }

    /// scripts/test sets PHOTOQ_REQUIRE_MODELS=1: there a missing model or data
    /// set is a failure, not a skip.
    public static var requireAssets: Bool { environment["PHOTOQ_REQUIRE_MODELS"] == "1" }

    public static var modelDirectory: String {
        if let dir = environment["PHOTOQ_MODEL_DIR"], !dir.isEmpty { return dir }
        let base = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return base + "/photoq/models"
    }

    public static var dataDirectory: String {
        environment["PHOTOQ_DATA_DIR"] ?? repoRoot + "/../shared/data"
    }

    /// Directory of the release binaries for end-to-end tests.
    public static var binDirectory: String {
        environment["PHOTOQ_BIN_DIR"] ?? repoRoot + "/.build/release"
    }

    /// The path of an installed model file, or skips (fails under scripts/test).
    public static func model(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try asset(modelDirectory + "/" + name, hint: "run scripts/convert-models", file: file, line: line)
    }

    /// The path of a file under the data directory, or skips (fails under scripts/test).
    public static func data(_ relative: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        try asset(dataDirectory + "/" + relative, hint: "set PHOTOQ_DATA_DIR", file: file, line: line)
    }

    private static func asset(_ path: String, hint: String, file: StaticString, line: UInt) throws -> String {
        if FileManager.default.fileExists(atPath: path) { return path }
        let message = "\(path) is missing (\(hint))"
        if requireAssets { XCTFail(message, file: file, line: line); throw XCTSkip(message) }
        throw XCTSkip(message)
    }

    /// A fresh temporary directory, removed when the test ends.
    public static func temporaryDirectory(_ testCase: XCTestCase, prefix: String = "photoq") throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        testCase.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Runs a program and returns (status, stdout, stderr).
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:],
                           input: Data? = nil) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in extra { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(input) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot fill one and block.
        let stderrBox = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { stderrBox.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (process.terminationStatus, stdoutData, stderrBox.data)
    }

    /// Written by one reader thread, read after the group's wait.
    private final class DataBox: @unchecked Sendable { var data = Data() }

    /// Runs a Python reference script from Tests/Reference with NumPy and
    /// returns its stdout; skips when no Python with NumPy is available
    /// (fails under scripts/test).
    public static func runReference(_ script: String, _ arguments: [String],
                                    file: StaticString = #filePath, line: UInt = #line) throws -> Data {
        let path = repoRoot + "/Tests/Reference/" + script
        guard FileManager.default.isExecutableFile(atPath: python) else {
            let message = "no Python at \(python) (run scripts/install-deps)"
            if requireAssets { XCTFail(message, file: file, line: line) }
            throw XCTSkip(message)
        }
        let result = try run(python, [path] + arguments)
        guard result.status == 0 else {
            let message = "reference \(script) failed: " + (String(data: result.stderr, encoding: .utf8) ?? "")
            XCTFail(message, file: file, line: line)
            throw XCTSkip(message)
        }
        return result.stdout
    }
}
