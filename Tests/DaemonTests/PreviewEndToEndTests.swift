import Foundation
import Glibc
import XCTest
import TestSupport
import Thumbnails

/// `photoq --preview` against the real photoqd and photoq binaries: plain
/// output on a pipe, and under a pseudo-terminal (Tests/Reference/pty_run.py,
/// which can answer the device-attributes query as a terminal would) the
/// escape sequences of each protocol around the cached thumbnails.
final class PreviewEndToEndTests: XCTestCase {
    private static let esc = "\u{1B}"

    private struct Setup {
        let daemon: DaemonProcess
        let directory: String
        let env: [String: String]
        let dog: String
    }

    private func start() throws -> Setup {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqp")
        let daemon = try DaemonProcess(self, directory: directory)
        try daemon.start()
        let samples = try SamplePhotos.samples().filter { ["dog.jpg", "kite.jpg", "giraffe.jpg"].contains(($0 as NSString).lastPathComponent) }
        let photos = try SamplePhotos.copy(samples, into: daemon.root + "/samples")
        try daemon.settle("samples indexed") { $0.indexed == photos.count }
        // No terminal hints from the machine running the tests: each test sets its own.
        let env = ["PHOTOQ_MODEL_DIR": TestEnvironment.modelDirectory, "XDG_CACHE_HOME": directory + "/cache",
                   "OPENBLAS_NUM_THREADS": "1", "KITTY_WINDOW_ID": "", "TERM_PROGRAM": "", "TERM": "xterm-256color"]
        return Setup(daemon: daemon, directory: directory, env: env, dog: daemon.root + "/samples/dog.jpg")
    }

    private func photoq(_ setup: Setup, _ arguments: [String], _ extra: [String: String] = [:]) throws
        -> (status: Int32, stdout: [UInt8], stderr: String) {
        let r = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", setup.daemon.socket] + arguments,
                                        environment: setup.env.merging(extra) { $1 })
        return (r.status, Array(r.stdout), String(decoding: r.stderr, as: UTF8.self))
    }

    /// Everything photoq wrote to its terminal (stdout and stderr), and its status.
    private func underTerminal(_ setup: Setup, _ arguments: [String], _ extra: [String: String] = [:],
                               answer: String? = nil) throws -> (status: Int, output: String) {
        let out = setup.directory + "/pty-\(UUID().uuidString.prefix(6)).out"
        let script = TestEnvironment.repoRoot + "/Tests/Reference/pty_run.py"
        let command = [script, out] + (answer.map { ["--answer-da", $0] } ?? [])
            + ["--", try DaemonProcess.binary("photoq"), "--socket", setup.daemon.socket] + arguments
        let r = try TestEnvironment.run(TestEnvironment.python, command, environment: setup.env.merging(extra) { $1 })
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        let status = Int(String(decoding: r.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        return (status, String(decoding: try Data(contentsOf: URL(fileURLWithPath: out)), as: UTF8.self))
    }

    func testPipedPreviewEmitsNothingButThePlainLines() throws {
        let setup = try start()
        let plain = try photoq(setup, ["-n", "3", "a dog"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(String(decoding: plain.stdout, as: UTF8.self).hasPrefix(setup.dog + "\n"))
        for flag in ["--preview", "--preview=kitty", "--preview=iterm", "--preview=sixel"] {
            let r = try photoq(setup, [flag, "-n", "3", "a dog"], ["KITTY_WINDOW_ID": "4", "TERM": "xterm-kitty"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stdout.contains(0x1B), "\(flag): no escape byte on a pipe")
            XCTAssertEqual(r.stdout, plain.stdout, flag)
            XCTAssertFalse(r.stderr.contains("inline images"), "\(flag): no hint on a pipe")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: setup.directory + "/cache/thumbnails"),
                       "no thumbnails are made for plain output")
    }

    func testKittyShowsTheCachedThumbnailAfterEachLine() throws {
        let setup = try start()
        let r = try underTerminal(setup, ["--preview", "-n", "2", "a dog"], ["KITTY_WINDOW_ID": "7"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.hasPrefix("1\t0."), r.output.prefix(80).debugDescription)
        XCTAssertTrue(r.output.contains("\t" + setup.dog + "\r\n" + Self.esc + "_Ga=T,f=100,q=2,m="))
        // The image is the freedesktop thumbnail now in the cache, byte for byte.
        let store = ThumbnailStore(cacheHome: setup.directory + "/cache")
        let file = store.thumbnailPath(forPath: setup.dog, size: .normal)
        let cached = try Data(contentsOf: URL(fileURLWithPath: file))
        var payload = ""
        for escape in r.output.components(separatedBy: Self.esc + "_G").dropFirst() {
            let body = try XCTUnwrap(escape.components(separatedBy: Self.esc + "\\").first)
            let semicolon = try XCTUnwrap(body.firstIndex(of: ";"))
            payload += body[body.index(after: semicolon)...]
            if body[..<semicolon].hasSuffix("m=0") { break }
        }
        XCTAssertEqual(Data(base64Encoded: payload), cached)
        var info = stat()
        XCTAssertEqual(lstat(file, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(r.output.components(separatedBy: "m=0;").count - 1, 2, "one image per result")
    }

    func testITermFromTermProgram() throws {
        let setup = try start()
        let r = try underTerminal(setup, ["--preview", "-n", "1", "a dog"], ["TERM_PROGRAM": "iTerm.app"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains(Self.esc + "]1337;File=name="), r.output.prefix(200).debugDescription)
        XCTAssertTrue(r.output.contains(";width=128px;height=96px;preserveAspectRatio=1;inline=1:"))
        XCTAssertTrue(r.output.contains("\u{07}"))
    }

    func testSixelFromTheDeviceAttributesReply() throws {
        let setup = try start()
        let r = try underTerminal(setup, ["--preview", "-n", "1", "a dog"], answer: "\\e[?62;4;22c")
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains(Self.esc + "Pq\"1;1;128;96#"), r.output.prefix(200).debugDescription)
        XCTAssertTrue(r.output.contains(Self.esc + "\\"))
        XCTAssertFalse(r.output.contains("inline images"))
    }

    func testATerminalWithoutImagesGetsAHintAndPlainLines() throws {
        let setup = try start()
        for answer in ["\\e[?62;1;22c", nil] {   // a reply without sixel, and no reply at all (the timeout)
            let started = Date()
            let r = try underTerminal(setup, ["--preview", "-n", "2", "a dog"], answer: answer)
            XCTAssertEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("photoq: this terminal shows no inline images"), r.output)
            XCTAssertTrue(r.output.contains(setup.dog + "\r\n"))
            for introducer in ["_G", "]1337", "Pq"] { XCTAssertFalse(r.output.contains(Self.esc + introducer)) }
            XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        }
    }

    func testForcedProtocolAndBadValues() throws {
        let setup = try start()
        let r = try underTerminal(setup, ["--preview=sixel", "-n", "1", "a dog"], ["KITTY_WINDOW_ID": "2"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains(Self.esc + "Pq"), "forced sixel beats kitty's environment")
        XCTAssertFalse(r.output.contains(Self.esc + "_G"))
        let bad = try photoq(setup, ["--preview=ascii", "dog"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("kitty, iterm or sixel"), bad.stderr)
        let json = try photoq(setup, ["--preview", "--json", "dog"])
        XCTAssertEqual(json.status, 64)
    }

    func testExplainShowsTheHeatMapInline() throws {
        _ = try TestEnvironment.model("lstm-scorer.safetensors")
        let setup = try start()
        let out = setup.directory + "/dog-heat.png"
        let r = try underTerminal(setup, ["--explain", setup.dog, "dog", "--out", out, "--preview"], ["KITTY_WINDOW_ID": "9"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
        XCTAssertTrue(r.output.contains(out), "the report names the heat map file")
        XCTAssertTrue(r.output.contains(Self.esc + "_Ga=T,f=100,q=2,m="), "the heat map inline")
        let piped = try photoq(setup, ["--explain", setup.dog, "dog", "--out", out, "--preview"], ["KITTY_WINDOW_ID": "9"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertFalse(piped.stdout.contains(0x1B))
    }
}
