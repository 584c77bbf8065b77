import Foundation
import XCTest
import TestSupport

/// `systemd-analyze verify` on the user units. ExecStart is pointed at an
/// existing binary (verify checks it), everything else is checked as shipped.
final class SystemdUnitTests: XCTestCase {
    func testUnitsVerify() throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: FileManager.default.isExecutableFile) else {
            let message = "systemd-analyze is not installed (apt-get install systemd)"
            if TestEnvironment.requireAssets { XCTFail(message) }
            throw XCTSkip(message)
        }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "units")
        let runtime = dir + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let source = TestEnvironment.repoRoot + "/systemd/"
        let service = try String(contentsOfFile: source + "photoqd.service", encoding: .utf8)
        XCTAssertTrue(service.contains("Type=notify"))
        XCTAssertTrue(service.contains("OPENBLAS_NUM_THREADS"))
        let lines = service.split(separator: "\n").map { line in
            line.hasPrefix("ExecStart=") ? "ExecStart=/bin/true" : String(line)
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/photoqd.service", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: source + "photoqd.socket", toPath: dir + "/photoqd.socket")
        let result = try TestEnvironment.run(analyze, ["--user", "verify", dir + "/photoqd.socket", dir + "/photoqd.service"],
                                             environment: ["XDG_RUNTIME_DIR": runtime, "SYSTEMD_LOG_LEVEL": "notice"])
        let stderr = String(decoding: result.stderr, as: UTF8.self)
        XCTAssertEqual(result.status, 0, stderr)
        // Unknown keys and bad values are only warnings to verify: any line about our units is a failure.
        let complaints = stderr.split(separator: "\n").filter { $0.contains("photoqd.") }
        XCTAssertEqual(complaints, [], "systemd-analyze complained:\n\(stderr)")
    }
}

/// What `systemctl --user enable photoqd.service` does with the shipped units,
/// run against a scratch root so nothing on this machine is touched.
final class SystemdEnableTests: XCTestCase {
    func testEnablingTheServiceStartsItAtLoginAndEnablesTheSocket() throws {
        guard let systemctl = ["/usr/bin/systemctl", "/bin/systemctl"].first(where: FileManager.default.isExecutableFile) else {
            let message = "systemctl is not installed (apt-get install systemd)"
            if TestEnvironment.requireAssets { XCTFail(message) }
            throw XCTSkip(message)
        }
        let root = try TestEnvironment.temporaryDirectory(self, prefix: "unit-root")
        let units = root + "/etc/systemd/user"
        try FileManager.default.createDirectory(atPath: units, withIntermediateDirectories: true)
        for name in ["photoqd.service", "photoqd.socket"] {
            try FileManager.default.copyItem(atPath: TestEnvironment.repoRoot + "/systemd/" + name, toPath: units + "/" + name)
        }
        let result = try TestEnvironment.run(systemctl, ["--root=" + root, "--global", "enable", "photoqd.service"])
        XCTAssertEqual(result.status, 0, String(decoding: result.stderr, as: UTF8.self))
        let atLogin = units + "/default.target.wants/photoqd.service"
        let socket = units + "/sockets.target.wants/photoqd.socket"
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: atLogin), "/etc/systemd/user/photoqd.service")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: socket), "/etc/systemd/user/photoqd.socket")
    }
}
