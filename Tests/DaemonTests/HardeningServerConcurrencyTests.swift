import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// The server answers on several threads: a slow request, idle connections
/// or a flood of clients never hold up the others, and past the connection
/// limit clients get a `busy` reply, not a reset.
final class HardeningServerConcurrencyTests: XCTestCase {
    /// The stand-in embedder, except that the query "hold" blocks until released.
    final class HeldQueryEmbedder: PhotoEmbedder, @unchecked Sendable {
        let inner = StandInEmbedder()
        var modelID: String { inner.modelID }
        var dimension: Int { inner.dimension }
        var featureDimension: Int { inner.featureDimension }
        let entered = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)

        func embed(imagesAt paths: [String]) -> [Result<PhotoEmbedding, any Error>] { inner.embed(imagesAt: paths) }

        func embedQuery(_ text: String) throws -> [Float] {
            if text == "hold" {
                entered.signal()
                gate.wait()
            }
            return try inner.embedQuery(text)
        }
    }

    func testASlowRequestDoesNotDelayOtherClients() throws {
        let d = try InProcessDaemon(self)
        try FakePhoto.write(d.library + "/a.jpg", seed: 1)
        let embedder = HeldQueryEmbedder()
        let daemon = try PhotoDaemon(configuration: d.configuration, embedder: embedder, log: Log(threshold: .error), environment: [:])
        daemon.start()
        defer { embedder.gate.signal(); daemon.stop() }
        try d.settle("indexed") { $0.indexed == 1 }

        let slowDone = DispatchSemaphore(value: 0)
        let slowHits = LockedBox<Int>()
        let socket = d.socketPath
        Thread.detachNewThread {
            slowHits.value = (try? DaemonConnection(path: socket, timeout: 10)
                .call(.search(SearchRequest(text: "hold", k: 5, minScore: -1)), expecting: SearchResult.self).hits.count)
            slowDone.signal()
        }
        XCTAssertEqual(embedder.entered.wait(timeout: .now() + 5), .success, "the slow request never reached the embedder")
        // While it is being answered, others are served at once.
        let started = Date()
        for _ in 0..<5 {
            XCTAssertEqual(try DaemonConnection(path: socket, timeout: 2).call(.status, expecting: StatusResult.self).indexed, 1)
            XCTAssertEqual(try DaemonConnection(path: socket, timeout: 2)
                .call(.search(SearchRequest(text: "quick", k: 5, minScore: -1)), expecting: SearchResult.self).hits.count, 1)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 2, "other clients waited for the slow request")
        embedder.gate.signal()
        XCTAssertEqual(slowDone.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(slowHits.value, 1, "the slow request is answered once released")
    }

    func testManyIdleConnectionsDoNotStarveActiveClients() throws {
        let d = try InProcessDaemon(self)
        try FakePhoto.write(d.library + "/a.jpg", seed: 1)
        d.configuration.clientTimeout = 30
        try d.start()
        try d.settle("indexed") { $0.indexed == 1 }
        // Connected and silent, as a stuck or malicious client would be.
        let idle = try (0..<300).map { _ in try DaemonConnection(path: d.socketPath, timeout: 5) }
        for _ in 0..<20 {
            XCTAssertEqual(try d.search("a photo").count, 1)
        }
        XCTAssertEqual(idle.count, 300)
    }

    /// Answers every request with `ReindexResult(queued: 7)`.
    struct FixedHandler: RequestHandler {
        func respond(to envelope: RequestEnvelope) -> [UInt8] {
            ResponseEncoding.result(ReindexResult(queued: 7), id: envelope.id)
        }
    }

    func testPastTheConnectionLimitClientsAreToldBusyNotReset() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqh")
        let path = dir + "/run/photoq.sock"
        let server = try QueryServer(bindingTo: path, handler: FixedHandler(), log: Log(threshold: .error), clientTimeout: 30,
                                     limits: ServerLimits(workers: 2, connections: 8, refusals: 2))
        server.start()
        defer { server.stop() }
        var held = try (0..<8).map { _ in try DaemonConnection(path: path, timeout: 5) }
        XCTAssertEqual(try held[0].call(.status, expecting: ReindexResult.self).queued, 7)
        // More than the refusals kept open at once: the rest are closed right after their reply.
        var extra: [DaemonConnection] = []
        for i in 0..<20 {
            let c = try DaemonConnection(path: path, timeout: 5)
            extra.append(c)
            XCTAssertThrowsError(try c.call(.status, expecting: ReindexResult.self), "client \(i)") { error in
                guard case ConnectionError.daemon(let wire) = error else { return XCTFail("client \(i): \(error), not a busy reply") }
                XCTAssertEqual(wire.code, .busy, "client \(i)")
            }
        }
        // Once a served client leaves, its slot is served again.
        extra.removeAll()
        held.removeLast()
        try eventually("a freed slot is served", timeout: 5) {
            (try? DaemonConnection(path: path, timeout: 5).call(.status, expecting: ReindexResult.self).queued) == 7
        }
        XCTAssertEqual(try held[0].call(.status, expecting: ReindexResult.self).queued, 7, "held connections are still served")
    }

    /// Many threads searching while photos are being written: every answer
    /// equals the one given to a lone client.
    func testConcurrentSearchesDuringIngestGiveConsistentAnswers() throws {
        let d = try InProcessDaemon(self)
        for i in 0..<40 { try FakePhoto.write(d.library + "/\(i % 4)/p\(i).jpg", seed: i) }
        try d.start()
        try d.settle("indexed") { $0.indexed == 40 }
        let texts = (0..<8).map { "query number \($0)" }
        let library = d.library, socket = d.socketPath
        let filters: @Sendable (Int) -> SearchFilters = { SearchFilters(folder: library + "/\($0)") }
        let expected = try texts.map { text in try (0..<4).map { try d.search(text, k: 5, filters: filters($0)).map(\.id) } }
        // New photos keep the writer busy meanwhile (outside the folders searched).
        for i in 0..<40 { try FakePhoto.write(d.library + "/later/q\(i).jpg", seed: 1000 + i) }
        let failures = LockedBox<[String]>()
        failures.value = []
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for round in 0..<25 {
                do {
                    let ids = try DaemonConnection(path: socket, timeout: 10).call(
                        .search(SearchRequest(text: texts[t], k: 5, filters: filters(round % 4), minScore: -1)), expecting: SearchResult.self).hits.map(\.id)
                    if ids != expected[t][round % 4] { failures.mutate { $0?.append("thread \(t) round \(round): \(ids)") } }
                } catch {
                    failures.mutate { $0?.append("thread \(t) round \(round): \(error)") }
                }
            }
        }
        XCTAssertEqual(failures.value ?? [], [])
        try d.settle("later photos") { $0.indexed == 80 }
    }
}

/// A value shared between a test and the threads it starts.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    func mutate(_ body: (inout T?) -> Void) { lock.withLock { body(&stored) } }
}
