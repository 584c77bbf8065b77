import Foundation
import XCTest
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// photoqd's parts running in the test process with the stand-in embedder,
/// in a temporary directory: roots under `library`, index in `state`.
final class InProcessDaemon {
    let directory: String
    let library: String
    let state: String
    let socketPath: String
    let embedder: StandInEmbedder
    private(set) var daemon: PhotoDaemon?
    var configuration: DaemonConfiguration

    init(_ testCase: XCTestCase, embedder: StandInEmbedder = StandInEmbedder(), excludes: [String] = []) throws {
        directory = try TestEnvironment.temporaryDirectory(testCase, prefix: "pqd")
        library = directory + "/library"
        state = directory + "/state"
        socketPath = directory + "/run/photoq.sock"
        try FileManager.default.createDirectory(atPath: library, withIntermediateDirectories: true)
        self.embedder = embedder
        configuration = DaemonConfiguration(roots: [library], excludes: excludes, stateDirectory: state, socketPath: socketPath,
                                            threads: 1, batchSize: 4, clientTimeout: 1, logLevel: .warning)
        testCase.addTeardownBlock { [self] in stop() }
    }

    func start() throws { try start(embedder: embedder) }

    /// With another embedder (a model change) and where copies of the serving model are kept.
    func start(embedder: any PhotoEmbedder, archive: (any ServingModelArchive)? = nil) throws {
        let d = try PhotoDaemon(configuration: configuration, embedder: embedder, log: Log(threshold: .warning), environment: [:],
                                archive: archive)
        d.start()
        daemon = d
    }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    func status() throws -> StatusResult {
        try DaemonConnection(path: socketPath, timeout: 5).call(.status, expecting: StatusResult.self)
    }

    func search(_ text: String, k: Int = 100, filters: SearchFilters = SearchFilters()) throws -> [SearchHit] {
        try DaemonConnection(path: socketPath, timeout: 5)
            .call(.search(SearchRequest(text: text, k: k, filters: filters)), expecting: SearchResult.self).hits
    }

    func get(path: String) throws -> PhotoRecordResult {
        try DaemonConnection(path: socketPath, timeout: 5)
            .call(.get(GetRequest(photo: PhotoReference(path: path))), expecting: PhotoRecordResult.self)
    }

    /// Indexed paths, sorted.
    func indexedPaths() throws -> [String] { try search("anything", k: 10_000).map(\.path).sorted() }

    /// Waits until the daemon is idle and `condition` holds.
    func settle(_ what: String, timeout: Double = 15, file: StaticString = #filePath, line: UInt = #line,
                _ condition: (StatusResult) throws -> Bool = { _ in true }) throws {
        try eventually(what, timeout: timeout, file: file, line: line) {
            let s = try status()
            guard s.pending == 0, s.watcher == "watching" else { return false }
            return try condition(s)
        }
    }
}
