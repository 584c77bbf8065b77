import Foundation
import XCTest
@testable import Index
import TestSupport

/// A model change re-embedded in the background: the stored model's vectors
/// answer every search until one commit puts all the new ones in place.
final class ReembeddingIndexTests: XCTestCase {
    private var directory = ""
    private let newModel = "test-model-v2"
    private let newDimension = 12

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory(self)
    }

    // Seeds from 1: a content hash of 0 means "not known" and never counts as unchanged.
    private func oldRecord(_ i: Int) -> PhotoRecord { Fixtures.record(path: "/p/\(i).jpg", seed: UInt64(i) + 1) }

    /// The new model's embedding of the same file (same stat data and hash, other vector).
    private func newRecord(_ i: Int, path: String? = nil, seed: UInt64? = nil) -> PhotoRecord {
        var record = Fixtures.record(path: path ?? "/p/\(i).jpg", seed: seed ?? UInt64(i) + 1, dimension: newDimension, model: newModel)
        var rng = SeededGenerator(seed: 1000 + (seed ?? UInt64(i) + 1))
        record.vector = Fixtures.randomVector(newDimension, &rng) // unlike the old model's vector
        return record
    }

    private func indexWithOldModel(_ count: Int) throws {
        let index = try Fixtures.openIndex(directory)
        try index.upsert((0..<count).map(oldRecord))
        index.close()
    }

    private func openNew() throws -> PhotoIndex { try Fixtures.openIndex(directory, model: newModel, dimension: newDimension) }

    func testOldVectorsAnswerUntilTheSwitchThenOnlyNewOnes() throws {
        try indexWithOldModel(10)
        let index = try openNew()
        defer { index.close() }
        try index.beginReembedding()
        XCTAssertEqual(index.compatibility, .reembedding(servingModelID: Fixtures.model, servingDimension: Fixtures.dimension,
                                                         servingFeatureDimension: Fixtures.featureDimension))
        XCTAssertEqual(index.servingModelID, Fixtures.model)
        XCTAssertEqual(index.search.count, 10)
        XCTAssertEqual(index.search.dimension, Fixtures.dimension)
        XCTAssertEqual(index.reembeddingProgress, .init(staged: 0, photos: 10))
        XCTAssertEqual(try index.pathsNeedingEmbedding().count, 10)

        let staged = try index.upsert((0..<6).map { newRecord($0) })
        // Unchanged files keep answering with their old vectors.
        XCTAssertEqual(index.search.count, 10)
        for record in staged {
            XCTAssertEqual(index.search.vector(id: record.id), oldRecord(Int(record.id) - 1).vector)
            XCTAssertEqual(try index.record(id: record.id)?.modelID, Fixtures.model)
            XCTAssertTrue(index.hasCurrentEmbedding(id: record.id))
        }
        XCTAssertFalse(index.hasCurrentEmbedding(id: 7))
        XCTAssertTrue(index.hasAnyEmbedding(id: 7))
        // A new photo is not searchable until the switch; a changed one loses its old vector.
        let added = try index.upsert([newRecord(0, path: "/p/new.jpg", seed: 100)])[0]
        try index.upsert([newRecord(7, seed: 70)])
        XCTAssertNil(index.search.vector(id: added.id))
        XCTAssertNil(index.search.vector(id: 8))
        XCTAssertEqual(index.search.count, 9)
        // Removing drops the staged embedding too; a move keeps it.
        try index.remove(paths: ["/p/8.jpg"])
        try index.move(from: "/p/0.jpg", to: "/p/zero.jpg")
        XCTAssertEqual(index.reembeddingProgress, .init(staged: 8, photos: 10))
        XCTAssertEqual(try index.pathsNeedingEmbedding().sorted(), ["/p/6.jpg", "/p/9.jpg"])
        // The old model's vector may still ride along a metadata update.
        var touched = try XCTUnwrap(index.lookup(path: "/p/9.jpg"))
        touched.mtimeNanoseconds += 1
        try index.upsert([touched])
        XCTAssertEqual(index.search.vector(id: touched.id), oldRecord(9).vector)
        XCTAssertThrowsIndexError(try index.upsert([Fixtures.record(path: "/p/x.jpg", seed: 5, dimension: newDimension, model: "third")]), .modelMismatch)

        let unstaged = try index.completeReembedding()
        XCTAssertEqual(unstaged, 2)
        XCTAssertEqual(index.compatibility, .compatible)
        XCTAssertNil(index.reembeddingProgress)
        XCTAssertEqual(index.search.dimension, newDimension)
        let expected: [String: PhotoRecord] = Dictionary(uniqueKeysWithValues:
            ((1..<6).map { ("/p/\($0).jpg", newRecord($0)) } + [("/p/zero.jpg", newRecord(0)), ("/p/new.jpg", newRecord(0, seed: 100)),
                                                              ("/p/7.jpg", newRecord(7, seed: 70))]))
        try assertServes(index, expected, unembedded: ["/p/6.jpg", "/p/9.jpg"])

        // The switch is on disk: a reopen with the new model serves the same.
        index.close()
        let reopened = try openNew()
        defer { reopened.close() }
        XCTAssertEqual(reopened.compatibility, .compatible)
        try assertServes(reopened, expected, unembedded: ["/p/6.jpg", "/p/9.jpg"])
        try reopened.environment.read { txn in
            for table in [reopened.environment.stagedRecords, reopened.environment.stagedFeatures, reopened.environment.stagedCells] {
                XCTAssertEqual(try txn.count(table), 0, table.name)
            }
        }
    }

    /// Every expected photo is searchable with exactly its new vector, tags
    /// and feature; the others have no vector of either model.
    private func assertServes(_ index: PhotoIndex, _ expected: [String: PhotoRecord], unembedded: [String],
                              file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(index.search.count, expected.count, file: file, line: line)
        for (path, want) in expected {
            let record = try XCTUnwrap(index.lookup(path: path), path, file: file, line: line)
            XCTAssertEqual(record.modelID, newModel, path, file: file, line: line)
            XCTAssertEqual(record.vector, want.vector, path, file: file, line: line)
            XCTAssertEqual(record.feature, Float16Coding.rounded(want.feature), path, file: file, line: line)
            XCTAssertEqual(index.search.vector(id: record.id), want.vector, path, file: file, line: line)
            let hit = try index.search.search(want.vector, k: 1).first
            XCTAssertEqual(hit?.id, record.id, path, file: file, line: line)
        }
        for path in unembedded {
            let record = try XCTUnwrap(index.lookup(path: path), path, file: file, line: line)
            XCTAssertTrue(record.vector.isEmpty, path, file: file, line: line)
            XCTAssertNil(index.search.vector(id: record.id), path, file: file, line: line)
        }
        XCTAssertEqual(try index.pathsNeedingEmbedding().sorted(), unembedded.sorted(), file: file, line: line)
    }

    func testAReopenResumesTheStagingAndTheOldModelCancelsIt() throws {
        try indexWithOldModel(4)
        do {
            let index = try openNew()
            try index.beginReembedding()
            try index.upsert([newRecord(1), newRecord(2)])
            index.close()
        }
        do {
            let resumed = try openNew()
            defer { resumed.close() }
            XCTAssertEqual(resumed.servingModelID, Fixtures.model)
            XCTAssertEqual(resumed.reembeddingProgress, .init(staged: 2, photos: 4))
            XCTAssertEqual(resumed.search.count, 4)
            XCTAssertEqual(resumed.search.vector(id: 2), oldRecord(1).vector)
            XCTAssertEqual(try resumed.pathsNeedingEmbedding().sorted(), ["/p/0.jpg", "/p/3.jpg"])
        }
        do {
            // The old model is back before the switch: its vectors stand and the staging goes.
            let old = try Fixtures.openIndex(directory)
            defer { old.close() }
            XCTAssertEqual(old.compatibility, .compatible)
            XCTAssertEqual(old.search.count, 4)
            XCTAssertEqual(try old.meta("photoq.staged_model_id"), nil)
            try old.environment.read { XCTAssertEqual(try $0.count(old.environment.stagedRecords), 0) }
        }
        let again = try openNew()
        defer { again.close() }
        XCTAssertEqual(again.compatibility, .needsReembedding(storedModelID: Fixtures.model, storedDimension: Fixtures.dimension,
                                                              storedFeatureDimension: Fixtures.featureDimension))
    }

    func testTheSwitchIsOneCommitSeenAtOnceAndAFailedOneChangesNothing() throws {
        try indexWithOldModel(3)
        let index = try openNew()
        defer { index.close() }
        try index.beginReembedding()
        try index.upsert((0..<3).map { newRecord($0) })

        struct Refused: Error {}
        XCTAssertThrowsError(try index.completeReembedding { _ in throw Refused() })
        XCTAssertEqual(index.servingModelID, Fixtures.model)
        XCTAssertEqual(index.reembeddingProgress, .init(staged: 3, photos: 3))
        XCTAssertEqual(try index.record(id: 1)?.vector, oldRecord(0).vector)
        XCTAssertThrowsIndexError(try index.completeReembedding { _ in }, .invalidArgument) // commit never called
        XCTAssertEqual(try index.meta("photoq.model_id"), Fixtures.model)

        var calls = 0
        try index.completeReembedding { commitAndSwitch in
            calls += 1
            // Up to the commit, readers see the old model everywhere.
            XCTAssertEqual(try index.meta("photoq.model_id"), Fixtures.model)
            XCTAssertEqual(try index.record(id: 1)?.vector, oldRecord(0).vector)
            XCTAssertEqual(index.search.dimension, Fixtures.dimension)
            try commitAndSwitch()
            XCTAssertEqual(try index.meta("photoq.model_id"), newModel)
            XCTAssertEqual(try index.record(id: 1)?.vector, newRecord(0).vector)
            XCTAssertEqual(index.search.dimension, newDimension)
        }
        XCTAssertEqual(calls, 1)
        XCTAssertThrowsIndexError(try index.completeReembedding(), .invalidArgument)
        XCTAssertThrowsIndexError(try index.beginReembedding(), .invalidArgument)
    }

    func testSearchesDuringStagingAndTheSwitchNeverSeeAHalfEmptyIndex() throws {
        try indexWithOldModel(200)
        let index = try openNew()
        defer { index.close() }
        try index.beginReembedding()
        let done = ManagedAtomicFlag()
        let counts = LockedCounts()
        let reader = Thread {
            var rng = SeededGenerator(seed: 9)
            while !done.isSet {
                let search = index.search
                let query = Fixtures.randomVector(search.dimension, &rng)
                counts.add((try? search.search(query, k: 500).count) ?? -1)
            }
        }
        reader.start()
        for start in stride(from: 0, to: 200, by: 20) { try index.upsert((start..<start + 20).map { newRecord($0) }) }
        try index.completeReembedding()
        usleep(20_000)
        done.set()
        while !reader.isFinished { usleep(1_000) }
        XCTAssertGreaterThan(counts.values.count, 0)
        XCTAssertEqual(Set(counts.values), [200], "every search saw all 200 photos")
    }
}

final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class LockedCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    var values: [Int] { lock.withLock { stored } }
    func add(_ value: Int) { lock.withLock { stored.append(value) } }
}
