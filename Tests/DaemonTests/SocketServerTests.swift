import Foundation
import Glibc
import XCTest
import PhotoqProtocol
@testable import Daemon

/// The socket server's answers to bad clients: typed errors, and nobody
/// else waits for them.
final class SocketServerTests: XCTestCase {
    private func startedDaemon() throws -> InProcessDaemon {
        let d = try InProcessDaemon(self)
        try FakePhoto.write(d.library + "/a.jpg", seed: 1)
        try d.start()
        try d.settle("indexed") { $0.indexed == 1 }
        return d
    }

    /// Sends raw bytes and returns the decoded error of the reply.
    private func errorReply(_ d: InProcessDaemon, _ bytes: [UInt8]) throws -> WireError? {
        let c = try DaemonConnection(path: d.socketPath, timeout: 5)
        try c.sendRaw(bytes)
        let reply = try c.receiveFrame()
        return try JSONDecoder().decode(ResponseEnvelope<NoResult>.self, from: Data(reply)).error
    }

    func testSocketIsPrivate() throws {
        let d = try startedDaemon()
        var st = stat()
        XCTAssertEqual(stat(d.socketPath, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        XCTAssertEqual(stat(d.directory + "/run", &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700)
    }

    func testMalformedUnknownAndWrongVersionRequestsGetTypedErrors() throws {
        let d = try startedDaemon()
        XCTAssertEqual(try errorReply(d, Frame.encode(Array("{not json".utf8)))?.code, .malformedRequest)
        XCTAssertEqual(try errorReply(d, Frame.encode(Array(#"{"version":1,"id":3}"#.utf8)))?.code, .malformedRequest)
        XCTAssertEqual(try errorReply(d, Frame.encode(Array(#"{"version":1,"id":3,"method":"format_disk"}"#.utf8)))?.code, .unknownMethod)
        XCTAssertEqual(try errorReply(d, Frame.encode(Array(#"{"version":99,"id":3,"method":"status"}"#.utf8)))?.code, .unsupportedVersion)
        XCTAssertEqual(try errorReply(d, Frame.encode(Array(#"{"version":1,"id":3,"method":"search","params":{"text":"x","k":0,"filters":{}}}"#.utf8)))?.code, .invalidArgument)
        XCTAssertEqual(try errorReply(d, Frame.encode(Array(#"{"version":1,"id":3,"method":"search","params":{"text":"  ","k":3,"filters":{}}}"#.utf8)))?.code, .invalidArgument)
        XCTAssertEqual(try errorReply(d, Frame.encode(Array(#"{"version":1,"id":3,"method":"get","params":{"photo":{"id":424242}}}"#.utf8)))?.code, .notFound)
        // The daemon still answers properly afterwards.
        XCTAssertEqual(try d.status().indexed, 1)
    }

    func testOversizedFrameIsRefusedBeforeItsBodyArrives() throws {
        let d = try startedDaemon()
        // Only the 4-byte header announcing 1 GiB is sent.
        let header: [UInt8] = [0x40, 0, 0, 0]
        XCTAssertEqual(try errorReply(d, header)?.code, .requestTooLarge)
        XCTAssertEqual(try d.status().indexed, 1)
    }

    func testSilentAndSlowClientsDoNotBlockOthers() throws {
        let d = try startedDaemon()
        // One client connects and never sends; another sends half a frame.
        let silent = try DaemonConnection(path: d.socketPath, timeout: 5)
        let slow = try DaemonConnection(path: d.socketPath, timeout: 5)
        try slow.sendRaw([0, 0, 0, 50, UInt8(ascii: "{")])
        // Meanwhile others are served at once.
        let started = Date()
        for _ in 0..<5 { XCTAssertEqual(try d.status().indexed, 1) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.9, "other clients waited for the stalled ones")
        // The stalled ones are told why and dropped after the client timeout (1 s here).
        let reply = try silent.receiveFrame()
        XCTAssertEqual(try JSONDecoder().decode(ResponseEnvelope<NoResult>.self, from: Data(reply)).error?.code, .timeout)
        XCTAssertThrowsError(try slow.receiveFrame().isEmpty ? nil : slow.receiveFrame())
    }

    func testRequestsOnOneConnectionAreAnsweredInOrder() throws {
        let d = try startedDaemon()
        let c = try DaemonConnection(path: d.socketPath, timeout: 5)
        for _ in 0..<3 {
            XCTAssertEqual(try c.call(.status, expecting: StatusResult.self).indexed, 1)
            XCTAssertEqual(try c.call(.search(SearchRequest(text: "a", k: 5, minScore: -1)), expecting: SearchResult.self).hits.count, 1)
        }
    }

    func testSecondDaemonOnTheSameStateDirectoryIsRefused() throws {
        let d = try startedDaemon()
        var other = d.configuration
        other.socketPath = d.directory + "/run2/photoq.sock"
        XCTAssertThrowsError(try PhotoDaemon(configuration: other, embedder: StandInEmbedder(), log: Log(threshold: .error),
                                             environment: [:])) { error in
            XCTAssertEqual((error as? DaemonError)?.code, .alreadyRunning)
        }
        XCTAssertEqual(try d.status().indexed, 1, "the running daemon is unaffected")
    }

    func testSearchFiltersByFolderAndDate() throws {
        let d = try InProcessDaemon(self)
        try FakePhoto.write(d.library + "/2019/a.jpg", seed: 1)
        try FakePhoto.write(d.library + "/2020/b.jpg", seed: 2)
        let old = Date(timeIntervalSince1970: 1_262_304_000) // 2010-01-01
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: d.library + "/2019/a.jpg")
        try d.start()
        try d.settle("indexed") { $0.indexed == 2 }
        XCTAssertEqual(try d.search("x", filters: SearchFilters(folder: d.library + "/2020")).map(\.path), [d.library + "/2020/b.jpg"])
        XCTAssertEqual(try d.search("x", filters: SearchFilters(modifiedBefore: 1_300_000_000)).map(\.path), [d.library + "/2019/a.jpg"])
        XCTAssertEqual(try d.search("x", filters: SearchFilters(modifiedAfter: 1_300_000_000)).map(\.path), [d.library + "/2020/b.jpg"])
        // The similar query never returns the photo itself.
        let similar = try DaemonConnection(path: d.socketPath, timeout: 5).call(
            .similar(SimilarRequest(photo: PhotoReference(path: d.library + "/2020/b.jpg"), k: 5)), expecting: SearchResult.self)
        XCTAssertEqual(similar.hits.map(\.path), [d.library + "/2019/a.jpg"])
    }
}
