import Foundation
import PhotoqProtocol
import TestSupport
import XCTest
@testable import Daemon

/// The model's relevance cutoff drops weak hits from text searches; a
/// request's minScore overrides it; similar applies only an explicit one.
final class RelevanceCutoffTests: XCTestCase {
    private func daemon(cutoff: Float?) throws -> InProcessDaemon {
        let d = try InProcessDaemon(self, embedder: StandInEmbedder(relevanceCutoff: cutoff))
        for i in 0..<12 { try FakePhoto.write(d.library + "/p\(i).jpg", seed: i) }
        try d.start()
        try d.settle("indexed", timeout: 60) { $0.indexed == 12 }
        return d
    }

    private func search(_ d: InProcessDaemon, _ text: String, minScore: Double? = nil) throws -> SearchResult {
        try DaemonConnection(path: d.socketPath, timeout: 5)
            .call(.search(SearchRequest(text: text, k: 12, minScore: minScore)), expecting: SearchResult.self)
    }

    func testTheModelsCutoffDropsHitsBelowItAndSaysHowMany() throws {
        let open = try daemon(cutoff: nil)
        let all = try search(open, "some text").hits
        XCTAssertEqual(all.count, 12)
        XCTAssertNil(try search(open, "some text").minScore, "a model without a cutoff keeps every hit")
        // A cutoff between the 4th and 5th best scores keeps exactly four.
        let cutoff = (all[3].score + all[4].score) / 2
        XCTAssertLessThan(all[4].score, all[3].score, "the stand-in's scores must differ here")
        let d = try daemon(cutoff: cutoff)
        let result = try search(d, "some text")
        XCTAssertEqual(result.hits.map(\.path).map { ($0 as NSString).lastPathComponent },
                       all.prefix(4).map(\.path).map { ($0 as NSString).lastPathComponent })
        XCTAssertEqual(result.belowMinScore, 8)
        XCTAssertEqual(Float(result.minScore ?? 0), cutoff, accuracy: 1e-6)
        XCTAssertTrue(result.hits.allSatisfy { $0.score >= cutoff })
        // The request's own value replaces the model's: -1 keeps everything.
        XCTAssertEqual(try search(d, "some text", minScore: -1).hits.count, 12)
        XCTAssertEqual(try search(d, "some text", minScore: 1).hits.count, 0)
        // Similar is ranked by likeness: no cutoff unless asked for.
        let similar = try DaemonConnection(path: d.socketPath, timeout: 5).call(
            .similar(SimilarRequest(photo: PhotoReference(path: all[0].path), k: 12)), expecting: SearchResult.self)
        XCTAssertGreaterThanOrEqual(similar.hits.count, 11, "every other photo, none dropped")
        XCTAssertNil(similar.minScore)
    }

    func testMinScoreOutOfRangeIsAnInvalidArgument() throws {
        let d = try daemon(cutoff: nil)
        // (Infinities cannot be written as JSON by this client; the end-to-end
        // tests send 1e400 as raw bytes.)
        for bad in [1.5, -2, 1.0000001, -1e300] {
            XCTAssertThrowsError(try search(d, "x", minScore: bad), "\(bad)") { error in
                guard case .daemon(let wire) = error as? ConnectionError else { return XCTFail("\(bad): \(error)") }
                XCTAssertEqual(wire.code, .invalidArgument, "\(bad)")
            }
        }
        XCTAssertEqual(try search(d, "x").hits.count, 12, "the daemon still answers")
    }
}
