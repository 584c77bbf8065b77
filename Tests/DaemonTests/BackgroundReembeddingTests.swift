import Foundation
import XCTest
import PhotoqProtocol
import TestSupport
import Imaging
@testable import Daemon
import Client

/// A model change with a copy of the old model kept: every photo stays
/// searchable in the old space while the new model re-embeds the library,
/// status tells the progress, and one switch moves searches to the new space.
final class BackgroundReembeddingTests: XCTestCase {
    /// The second model: the stand-in's vectors rotated, so both spaces differ;
    /// its photos wait at a gate so a test can look at the daemon mid-way.
    final class NextModel: PhotoEmbedder, @unchecked Sendable {
        let inner = StandInEmbedder()
        let modelID = "stand-in-v2"
        var dimension: Int { inner.dimension }
        var featureDimension: Int { inner.featureDimension }
        private let condition = NSCondition()
        private var allowance = 0
        private var cancelled = false

        /// Lets `count` more photos through.
        func allow(_ count: Int) {
            condition.lock()
            allowance += count
            condition.broadcast()
            condition.unlock()
        }

        func embed(imagesAt paths: [String]) -> [Result<PhotoEmbedding, any Error>] {
            paths.map { path in
                condition.lock()
                while allowance == 0 && !cancelled { condition.wait() }
                if cancelled {
                    condition.unlock()
                    return .failure(ImageError.cancelled)
                }
                allowance -= 1
                condition.unlock()
                return inner.embed(imagesAt: [path])[0].map { embedding in
                    var e = embedding
                    e.vector = Self.rotated(e.vector)
                    return e
                }
            }
        }

        /// A stop lets the photos waiting at the gate go unembedded.
        func cancelDecoding() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }

        func embedQuery(_ text: String) throws -> [Float] { Self.rotated(try inner.embedQuery(text)) }

        static func rotated(_ v: [Float]) -> [Float] { Array(v[1...] + v[..<1]) }
    }

    /// Copies kept in memory, by model id.
    final class KeptModels: ServingModelArchive, @unchecked Sendable {
        private let lock = NSLock()
        private var models: [String: any PhotoEmbedder] = [:]
        private var kept: [String] = []
        var keptIDs: [String] { lock.withLock { kept } }
        func embedder(for modelID: String) -> (any PhotoEmbedder)? { lock.withLock { models[modelID] } }
        func keep(_ embedder: any PhotoEmbedder) throws {
            lock.withLock {
                models[embedder.modelID] = embedder
                kept.append(embedder.modelID)
            }
        }
    }

    private func libraryOnTheFirstModel(_ count: Int, archive: KeptModels?) throws -> InProcessDaemon {
        let d = try InProcessDaemon(self)
        for i in 0..<count { try FakePhoto.write(d.library + "/p\(i).jpg", seed: i) }
        try d.start(embedder: d.embedder, archive: archive)
        try d.settle("all indexed") { $0.indexed == count }
        if let archive { try eventually("the serving model kept") { archive.keptIDs == ["stand-in-v1"] } }
        d.stop()
        return d
    }

    func testOldVectorsAnswerEverySearchUntilTheNewModelHasEveryPhoto() throws {
        let archive = KeptModels()
        let d = try libraryOnTheFirstModel(6, archive: archive)
        let next = NextModel()
        try d.start(embedder: next, archive: archive)

        next.allow(4)
        try eventually("four photos re-embedded") { try d.status().reembedding?.done == 4 }
        let mid = try d.status()
        XCTAssertEqual(mid.modelID, "stand-in-v1", "the old model answers searches")
        XCTAssertEqual(mid.indexed, 6)
        XCTAssertEqual(mid.reembedding, ReembeddingStatus(model: "stand-in-v2", dimension: 8, done: 4, total: 6))
        let text = String(decoding: OutputFormat().render(status: mid, socket: "s"), as: UTF8.self)
        XCTAssertTrue(text.contains("model    stand-in-v1 (D=8)\nreembed  4 of 6 photos (66%) with stand-in-v2 (D=8); searches use the model above until done\n"), text)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(OutputFormat(json: true).render(status: mid, socket: "s"))) as? [String: Any])
        let progress = try XCTUnwrap(document["reembedding"] as? [String: Any])
        XCTAssertEqual(progress["model"] as? String, "stand-in-v2")
        XCTAssertEqual([progress["dimension"], progress["done"], progress["total"]].map { $0 as? Int }, [8, 4, 6])
        // Every photo is found, scored in the old space.
        let query = try StandInEmbedder().embedQuery("a dog")
        let hits = try d.search("a dog")
        XCTAssertEqual(hits.count, 6)
        for hit in hits {
            let old = try StandInEmbedder().embed(imagesAt: [hit.path])[0].get().vector
            XCTAssertEqual(hit.score, zip(old, query).map(*).reduce(0, +), accuracy: 0.02, hit.path)
        }
        XCTAssertEqual(try d.get(path: d.library + "/p0.jpg").modelID, "stand-in-v1")

        next.allow(2)
        try eventually("the switch") { try d.status().reembedding == nil }
        let after = try d.status()
        XCTAssertEqual(after.modelID, "stand-in-v2")
        XCTAssertFalse(String(decoding: OutputFormat().render(status: after, socket: "s"), as: UTF8.self).contains("reembed"))
        XCTAssertEqual(after.indexed, 6)
        let newQuery = try next.embedQuery("a dog")
        let newHits = try d.search("a dog")
        XCTAssertEqual(newHits.count, 6)
        for hit in newHits {
            let record = try d.get(path: hit.path)
            XCTAssertEqual(record.modelID, "stand-in-v2")
            let vector = NextModel.rotated(try StandInEmbedder().embed(imagesAt: [hit.path])[0].get().vector)
            XCTAssertEqual(record.vector, vector, hit.path)
            XCTAssertEqual(hit.score, zip(vector, newQuery).map(*).reduce(0, +), accuracy: 0.02, hit.path)
        }
        try eventually("the new model kept") { archive.keptIDs.last == "stand-in-v2" }
    }

    func testARestartMidWayResumesAndPhotosAddedMeanwhileArrive() throws {
        let archive = KeptModels()
        let d = try libraryOnTheFirstModel(8, archive: archive)
        let next = NextModel()
        try d.start(embedder: next, archive: archive)
        next.allow(4) // one whole batch
        try eventually("four re-embedded") { try d.status().reembedding?.done == 4 }
        try FakePhoto.write(d.library + "/added.jpg", seed: 99)
        d.stop()

        let resumed = NextModel()
        try d.start(embedder: resumed, archive: archive)
        let status = try d.status()
        XCTAssertEqual(status.modelID, "stand-in-v1")
        XCTAssertEqual(status.reembedding?.done, 4, "the staged photos survive the restart")
        XCTAssertEqual(try d.search("x").count, 8, "the old vectors still answer")
        resumed.allow(100)
        try eventually("the switch") { try d.status().reembedding == nil && d.status().indexed == 9 }
        XCTAssertEqual(try d.status().modelID, "stand-in-v2")
        XCTAssertEqual(try d.get(path: d.library + "/added.jpg").modelID, "stand-in-v2")
        XCTAssertEqual(Set(try d.search("x").map(\.path)).count, 9)
    }

    func testWithoutACopyOfTheOldModelItsVectorsAreClearedAndPhotosReturnAsDone() throws {
        let d = try libraryOnTheFirstModel(3, archive: nil)
        let next = NextModel()
        try d.start(embedder: next, archive: KeptModels()) // keeps nothing of stand-in-v1
        let status = try d.status()
        XCTAssertNil(status.reembedding)
        XCTAssertEqual(status.modelID, "stand-in-v2")
        XCTAssertEqual(try d.search("x").count, 0)
        next.allow(100)
        try d.settle("all re-embedded") { $0.indexed == 3 }
        XCTAssertEqual(try d.get(path: d.library + "/p1.jpg").modelID, "stand-in-v2")
    }
}
