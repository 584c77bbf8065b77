import Foundation
import Index
import PhotoqProtocol
import TestSupport
import XCTest
@testable import Daemon

/// photoqd reranks the head of a text search with its reranker: the photos'
/// cells stored at ingest reach it, `rerank: false` skips it, and a
/// reranker that fails or declines leaves the joint order (the search
/// still answers).
final class DaemonRerankingTests: XCTestCase {
    /// Reverses its top K; its cells are the feature ×100 in one int8 row,
    /// so it can check that what it gets back is what ingest stored.
    final class ReversingReranker: SearchReranker, @unchecked Sendable {
        enum Mode { case reverse, fail, decline }
        let id = "reversing"
        let topK: Int
        private let lock = NSLock()
        private var currentMode = Mode.reverse
        private var seen: [[PhotoRecord]] = []
        var mode: Mode { get { lock.withLock { currentMode } } set { lock.withLock { currentMode = newValue } } }
        var calls: [[PhotoRecord]] { lock.withLock { seen } }

        init(topK: Int) { self.topK = topK }

        struct Broken: Error {}

        func cells(headMap: [Float]) throws -> PhotoCells {
            PhotoCells(rows: 1, rank: headMap.count, scales: [0.01], coordinates: headMap.map { Int8(($0 * 100).rounded()) })
        }

        func scores(query: String, candidates: [PhotoRecord], jointScores: [Float]) throws -> [Float]? {
            lock.withLock { seen.append(candidates) }
            switch mode {
            case .fail: throw Broken()
            case .decline: return nil
            case .reverse: return jointScores.map { -$0 }
            }
        }
    }

    private func daemon(_ reranker: ReversingReranker) throws -> InProcessDaemon {
        let d = try InProcessDaemon(self, embedder: StandInEmbedder(reranker: reranker))
        for i in 0..<10 { try FakePhoto.write(d.library + "/p\(i).jpg", seed: i) }
        try d.start()
        try d.settle("indexed", timeout: 60) { $0.indexed == 10 }
        return d
    }

    private func search(_ d: InProcessDaemon, k: Int, rerank: Bool? = nil, text: String = "a dog") throws -> SearchResult {
        try DaemonConnection(path: d.socketPath, timeout: 5)
            .call(.search(SearchRequest(text: text, k: k, minScore: -1, rerank: rerank)), expecting: SearchResult.self)
    }

    func testTheHeadIsRerankedFromStoredCells() throws {
        let reranker = ReversingReranker(topK: 4)
        let d = try daemon(reranker)
        let joint = try search(d, k: 10, rerank: false)
        XCTAssertNil(joint.reranked)
        XCTAssertTrue(reranker.calls.isEmpty, "rerank: false never calls the reranker")

        let reranked = try search(d, k: 10)
        XCTAssertEqual(reranked.reranked, true)
        XCTAssertEqual(reranked.hits.map(\.path), joint.hits.prefix(4).reversed().map(\.path) + joint.hits.dropFirst(4).map(\.path),
                       "the top 4 reversed, the rest in joint order")
        XCTAssertEqual(reranked.hits.map(\.score), joint.hits.prefix(4).reversed().map(\.score) + joint.hits.dropFirst(4).map(\.score),
                       "scores stay the joint similarities")
        // The candidates came with the cells ingest stored for them.
        let candidates = try XCTUnwrap(reranker.calls.last)
        XCTAssertEqual(candidates.map(\.path), joint.hits.prefix(4).map(\.path))
        for record in candidates {
            XCTAssertEqual(record.cells, try reranker.cells(headMap: record.feature), record.path)
        }

        // Fewer asked for than it reranks: the best of its top 4.
        XCTAssertEqual(try search(d, k: 2).hits.map(\.path), joint.hits.prefix(4).reversed().prefix(2).map(\.path))
    }

    func testAFailingOrDecliningRerankerLeavesTheJointOrder() throws {
        let reranker = ReversingReranker(topK: 4)
        let d = try daemon(reranker)
        let joint = try search(d, k: 6, rerank: false).hits.map(\.path)
        for mode in [ReversingReranker.Mode.fail, .decline] {
            reranker.mode = mode
            let result = try search(d, k: 6)
            XCTAssertEqual(result.hits.map(\.path), joint, "\(mode)")
            XCTAssertNil(result.reranked, "\(mode)")
        }
        XCTAssertEqual(try d.status().indexed, 10, "the daemon still answers")
    }
}
