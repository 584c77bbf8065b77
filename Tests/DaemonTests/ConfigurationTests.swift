import Foundation
import XCTest
import TestSupport
@testable import Daemon

final class ConfigurationTests: XCTestCase {
    func testParsesTheConfigSubset() throws {
        let text = """
            # photo folders
            roots = [
              "~/Pictures",   # main library
              '/mnt/photos # not a comment',
            ]
            excludes = ["tmp"]
            state_dir = "/var/tmp/pq"
            threads = 3
            batch_size = 1_0
            """
        let values = try ConfigFile.parse(text)
        XCTAssertEqual(values["roots"], .strings(["~/Pictures", "/mnt/photos # not a comment"]))
        XCTAssertEqual(values["excludes"], .strings(["tmp"]))
        XCTAssertEqual(values["state_dir"], .string("/var/tmp/pq"))
        XCTAssertEqual(values["threads"], .integer(3))
        XCTAssertEqual(values["batch_size"], .integer(10))
    }

    func testReportsTheLineOfAnError() {
        for (text, line) in [("threads = 1\nroots = [1]", 2), ("[table]", 1), ("a = 1\na = 2", 2), ("x = \"open", 1), ("novalue", 1)] {
            XCTAssertThrowsError(try ConfigFile.parse(text, source: "c.toml"), text) { error in
                XCTAssertTrue((error as? DaemonError)?.message.hasPrefix("c.toml:\(line):") ?? false, "\(error)")
            }
        }
    }

    func testFlagsOverrideTheFileAndRootsMustExist() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/b", withIntermediateDirectories: true)
        let config = dir + "/config.toml"
        try "roots = [\"\(dir)/a\"]\nthreads = 3\nsocket = \"\(dir)/s.sock\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        var overrides = DaemonConfiguration.Overrides()
        let env = ["HOME": dir, "XDG_RUNTIME_DIR": dir + "/run"]
        var c = try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env)
        XCTAssertEqual(c.roots, [dir + "/a"])
        XCTAssertEqual(c.threads, 3)
        XCTAssertEqual(c.socketPath, dir + "/s.sock")
        XCTAssertEqual(c.stateDirectory, dir + "/.local/state/photoq")
        overrides.roots = [dir + "/b/"]
        overrides.threads = 1
        c = try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env)
        XCTAssertEqual(c.roots, [dir + "/b"])
        XCTAssertEqual(c.threads, 1)
        // No config file at all: flags are enough.
        c = try DaemonConfiguration.load(configPath: nil, overrides: overrides, environment: env)
        XCTAssertEqual(c.socketPath, dir + "/run/photoq/photoq.sock")
        // A missing root is accepted (a disk not plugged in yet); a file is not a root.
        overrides.roots = [dir + "/missing"]
        XCTAssertEqual(try DaemonConfiguration.load(configPath: nil, overrides: overrides, environment: env).roots, [dir + "/missing"])
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data())
        overrides.roots = [dir + "/file"]
        XCTAssertThrowsError(try DaemonConfiguration.load(configPath: nil, overrides: overrides, environment: env))
        // Excludes: "~" expands as in roots, names stay names, and an excluded
        // root is dropped (all of them excluded is an error).
        try "roots = [\"~/a\", \"~/b\"]\nexcludes = [\"~/b\", \"private\", \"~/a/skip\"]\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        c = try DaemonConfiguration.load(configPath: config, overrides: DaemonConfiguration.Overrides(), environment: env)
        XCTAssertEqual(c.roots, [dir + "/a"])
        XCTAssertEqual(c.excludes, [dir + "/b", "private", dir + "/a/skip"])
        try "roots = [\"~/b\"]\nexcludes = [\"~\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DaemonConfiguration.load(configPath: config, overrides: DaemonConfiguration.Overrides(), environment: env))
        try "rootz = []\n".write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DaemonConfiguration.load(configPath: config, overrides: DaemonConfiguration.Overrides(), environment: env))
    }
}
