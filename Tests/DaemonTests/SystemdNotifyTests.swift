import Foundation
import Glibc
import XCTest
import TestSupport
@testable import Daemon

/// READY=1 after the socket listens, STOPPING=1 on shutdown, over a
/// datagram socket standing in for systemd's.
final class SystemdNotifyTests: XCTestCase {
    private func receive(_ fd: Int32, timeout: Int32 = 5000) -> String? {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeout) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
    }

    func testReadyAndStoppingAreSent() throws {
        let d = try InProcessDaemon(self)
        let path = d.directory + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(rc, 0)

        let daemon = try PhotoDaemon(configuration: d.configuration, embedder: d.embedder, log: Log(threshold: .error),
                                     environment: ["NOTIFY_SOCKET": path])
        daemon.start()
        let ready = receive(fd)
        XCTAssertTrue(ready?.hasPrefix("READY=1\nSTATUS=") ?? false, ready ?? "nothing received")
        // Ready means the socket already accepts queries.
        XCTAssertEqual(try d.status().indexed, 0)
        daemon.stop()
        var messages: [String] = []
        while let m = receive(fd, timeout: 500) { messages.append(m) }
        XCTAssertTrue(messages.contains("STOPPING=1"), "\(messages)")
    }

    func testNotifierIsSilentWithoutNotifySocket() {
        XCTAssertFalse(SystemdNotifier(environment: [:]).notify("READY=1"))
    }
}
