import Foundation
import XCTest
@testable import Daemon
import PhotoqProtocol
import TestSupport

/// The decode budget is configurable: `decode_memory_mb` / `--decode-memory-mb`.
final class HardeningIngestConfigTests: XCTestCase {
    func testDecodeMemoryComesFromTheFileOrTheFlag() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        let config = dir + "/config.toml"
        let env = ["HOME": dir, "XDG_RUNTIME_DIR": dir + "/run"]
        try "roots = [\"\(dir)/a\"]\n".write(toFile: config, atomically: true, encoding: .utf8)
        var overrides = DaemonConfiguration.Overrides()
        XCTAssertNil(try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env).decodeMemoryBytes)
        try "roots = [\"\(dir)/a\"]\ndecode_memory_mb = 64\n".write(toFile: config, atomically: true, encoding: .utf8)
        XCTAssertEqual(try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env).decodeMemoryBytes, 64 << 20)
        overrides.decodeMemoryMiB = 32
        XCTAssertEqual(try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env).decodeMemoryBytes, 32 << 20)
        overrides.decodeMemoryMiB = 1
        XCTAssertThrowsError(try DaemonConfiguration.load(configPath: config, overrides: overrides, environment: env))
    }

    /// With a 16 MiB budget the daemon refuses a photo whose decode needs
    /// 100 MB (it would pass the standard 192 MiB) and still indexes a normal one.
    func testTheDaemonDecodesWithinTheConfiguredMemory() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqbudget")
        let daemon = try DaemonProcess(self, directory: dir)
        try FileManager.default.createDirectory(atPath: dir + "/cfg/photoq", withIntermediateDirectories: true)
        try "decode_memory_mb = 16\n".write(toFile: dir + "/cfg/photoq/config.toml", atomically: true, encoding: .utf8)
        let bombs = dir + "/bombs"
        let r = try TestEnvironment.run(TestEnvironment.python, [TestEnvironment.repoRoot + "/tools/fault/ingest_bombs.py", bombs,
                                                                 "--copies", "1", "--scans", "20"])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        try FileManager.default.copyItem(atPath: bombs + "/many-scans-0.jpg", toPath: daemon.root + "/big-progressive.jpg")
        _ = try SamplePhotos.copy(try SamplePhotos.coco(1), into: daemon.root + "/photos")
        try daemon.start(extraEnvironment: ["XDG_CONFIG_HOME": dir + "/cfg"])
        try daemon.settle("one indexed, one refused") { $0.indexed + $0.failed == 2 }
        let status = try daemon.status()
        XCTAssertEqual(status.indexed, 1, daemon.log)
        XCTAssertEqual(status.failedByReason, ["over-budget": 1])
        XCTAssertTrue(daemon.log.contains("over the 16 MiB limit"), daemon.log)
        XCTAssertEqual(daemon.terminate(), 0)
    }
}
