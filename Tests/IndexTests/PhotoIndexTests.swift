import Foundation
import XCTest
@testable import Index
import TestSupport

final class PhotoIndexTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory(self)
    }

    /// Every path entry points to a record with that path and vice versa,
    /// and the vector search holds exactly the embedded records.
    private func assertConsistent(_ index: PhotoIndex, file: StaticString = #filePath, line: UInt = #line) throws {
        var records: [UInt64: PhotoRecord] = [:]
        try index.forEachRecord { records[$0.id] = $0; return true }
        try index.environment.read { txn in
            XCTAssertEqual(try txn.count(index.environment.paths), records.count, "paths vs photos", file: file, line: line)
        }
        for record in records.values {
            XCTAssertEqual(try index.id(forPath: record.path), record.id, record.path, file: file, line: line)
            XCTAssertEqual(index.search.vector(id: record.id), record.vector.isEmpty ? nil : record.vector,
                           "search out of step for \(record.id)", file: file, line: line)
        }
        XCTAssertEqual(index.search.count, records.values.filter { !$0.vector.isEmpty }.count, file: file, line: line)
    }

    func testUpsertAllocatesStableIDsAndLookupsReturnEverything() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        let stored = try index.upsert([Fixtures.record(path: "/p/a.jpg", seed: 1), Fixtures.record(path: "/p/b.jpg", seed: 2)])
        XCTAssertEqual(stored.map(\.id), [1, 2])
        var expected = Fixtures.record(path: "/p/a.jpg", seed: 1)
        expected.id = 1
        expected.feature = Float16Coding.rounded(expected.feature) // features are stored in halves
        XCTAssertEqual(try index.lookup(path: "/p/a.jpg"), expected)
        XCTAssertEqual(try index.record(id: 1), expected)
        XCTAssertNil(try index.lookup(path: "/p/none.jpg"))
        XCTAssertNil(try index.record(id: 99))

        // Re-ingesting a changed file at the same path keeps its id.
        let changed = try index.upsert([Fixtures.record(path: "/p/a.jpg", seed: 10)])
        XCTAssertEqual(changed.first?.id, 1)
        XCTAssertEqual(try index.lookup(path: "/p/a.jpg")?.vector, Fixtures.record(path: "", seed: 10).vector)
        XCTAssertEqual(try index.counts(), PhotoIndex.Counts(photos: 2, embedded: 2, failed: 0))
        try assertConsistent(index)
    }

    func testRemoveDeletesRecordPathAndVector() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        try index.upsert((0..<5).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        XCTAssertEqual(try index.remove(paths: ["/p/1.jpg", "/p/3.jpg"]), [2, 4])
        let result = try index.apply([.remove(path: "/p/missing.jpg")])
        XCTAssertEqual(result.missingPaths, ["/p/missing.jpg"])
        XCTAssertNil(try index.lookup(path: "/p/1.jpg"))
        XCTAssertNil(try index.record(id: 2))
        XCTAssertFalse(index.search.contains(id: 2))
        XCTAssertEqual(try index.counts().photos, 3)
        try assertConsistent(index)
        // Ids are never reused.
        XCTAssertEqual(try index.upsert([Fixtures.record(path: "/p/1.jpg", seed: 1)]).first?.id, 6)
    }

    func testMoveKeepsIDAndVectorAndReplacesTarget() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        let a = try index.upsert([Fixtures.record(path: "/p/a.jpg", seed: 1)])[0]
        let b = try index.upsert([Fixtures.record(path: "/q/b.jpg", seed: 2)])[0]
        XCTAssertEqual(try index.move(from: "/p/a.jpg", to: "/p/renamed.jpg"), a.id)
        let moved = try XCTUnwrap(index.lookup(path: "/p/renamed.jpg"))
        XCTAssertEqual(moved.id, a.id)
        XCTAssertEqual(moved.vector, a.vector)
        XCTAssertEqual(moved.feature, Float16Coding.rounded(a.feature), "stored in halves")
        XCTAssertEqual(moved.contentHash, a.contentHash)
        XCTAssertNil(try index.lookup(path: "/p/a.jpg"))
        // Moving onto an indexed path replaces that photo (like rename(2)).
        XCTAssertEqual(try index.move(from: "/p/renamed.jpg", to: "/q/b.jpg"), a.id)
        XCTAssertNil(try index.record(id: b.id))
        XCTAssertFalse(index.search.contains(id: b.id))
        XCTAssertEqual(try index.lookup(path: "/q/b.jpg")?.id, a.id)
        XCTAssertNil(try index.move(from: "/nowhere.jpg", to: "/x.jpg"))
        try assertConsistent(index)
    }

    func testMoveFolderAndRemoveFolderTouchOnlyThatFolder() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        let paths = ["/r/trip/1.jpg", "/r/trip/sub/2.jpg", "/r/trip2/3.jpg", "/r/tri.jpg", "/r/other/4.jpg"]
        try index.upsert(paths.enumerated().map { Fixtures.record(path: $1, seed: UInt64($0)) })
        XCTAssertEqual(try index.ids(inFolder: "/r/trip"), [1, 2])
        XCTAssertEqual(try index.ids(inFolder: "/r/trip/"), [1, 2])
        XCTAssertEqual(try index.ids(inFolder: "/r"), [1, 2, 3, 4, 5])

        XCTAssertEqual(try index.records(inFolder: "/r/trip").map(\.path), ["/r/trip/1.jpg", "/r/trip/sub/2.jpg"])
        XCTAssertEqual(try index.records(inFolder: "/r/trip", includeFloats: true).first?.vector,
                       Fixtures.record(path: "", seed: 0).vector)
        try index.recordFailure(path: "/r/trip/bad.jpg", reason: "x", size: 1, mtimeNanoseconds: 1)
        try index.recordFailure(path: "/r/trip2/bad.jpg", reason: "x", size: 1, mtimeNanoseconds: 1)
        XCTAssertEqual(try index.failures(inFolder: "/r/trip").map(\.path), ["/r/trip/bad.jpg"])

        let moved = try index.apply([.moveFolder(from: "/r/trip", to: "/r/2024/trip")])
        XCTAssertEqual(Set(moved.movedIDs), [1, 2])
        XCTAssertEqual(try index.lookup(path: "/r/2024/trip/sub/2.jpg")?.id, 2)
        XCTAssertEqual(try index.lookup(path: "/r/trip2/3.jpg")?.id, 3)
        XCTAssertEqual(try index.ids(inFolder: "/r/trip"), [])
        XCTAssertEqual(try index.failures(inFolder: "/r/2024/trip").map(\.path), ["/r/2024/trip/bad.jpg"])

        let removed = try index.apply([.removeFolder("/r/2024")])
        XCTAssertEqual(Set(removed.removedIDs), [1, 2])
        XCTAssertEqual(try index.failures(inFolder: "/r/2024"), [])
        XCTAssertEqual(try index.failures(inFolder: "/r").map(\.path), ["/r/trip2/bad.jpg"])
        XCTAssertEqual(try index.counts().photos, 3)
        try assertConsistent(index)
    }

    func testUpsertWithKnownIDRepointsPathsAndDropsReplacedRecords() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        let a = try index.upsert([Fixtures.record(path: "/p/a.jpg", seed: 1)])[0]
        let b = try index.upsert([Fixtures.record(path: "/p/b.jpg", seed: 2)])[0]
        // The daemon recognised a.jpg (by content hash) now living at c.jpg.
        var relocated = a
        relocated.path = "/p/c.jpg"
        try index.upsert([relocated])
        XCTAssertNil(try index.id(forPath: "/p/a.jpg"))
        XCTAssertEqual(try index.id(forPath: "/p/c.jpg"), a.id)
        // Pointing b.jpg's path at record a drops record b.
        var overwrite = a
        overwrite.path = "/p/b.jpg"
        let result = try index.apply([.upsert(overwrite)])
        XCTAssertEqual(result.removedIDs, [b.id])
        XCTAssertNil(try index.record(id: b.id))
        XCTAssertNil(try index.id(forPath: "/p/c.jpg"))
        XCTAssertThrowsIndexError(try index.upsert([Fixtures.record(path: "/p/z.jpg", seed: 3, id: 500)]), .invalidArgument)
        try assertConsistent(index)
    }

    func testBatchIsAllOrNothing() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        try index.upsert([Fixtures.record(path: "/p/keep.jpg", seed: 1)])
        // The third change is invalid: nothing of the batch may land.
        XCTAssertThrowsIndexError(try index.apply([
            .upsert(Fixtures.record(path: "/p/new.jpg", seed: 2)),
            .remove(path: "/p/keep.jpg"),
            .upsert(Fixtures.record(path: "/p/bad.jpg", seed: 3, dimension: 5)),
        ]), .dimensionMismatch)
        XCTAssertNotNil(try index.lookup(path: "/p/keep.jpg"))
        XCTAssertNil(try index.lookup(path: "/p/new.jpg"))
        XCTAssertEqual(index.search.count, 1)
        XCTAssertThrowsIndexError(try index.upsert([Fixtures.record(path: "", seed: 1)]), .invalidArgument)
        XCTAssertThrowsIndexError(try index.upsert([Fixtures.record(path: "/p/x.jpg", seed: 1, featureDimension: 3)]), .dimensionMismatch)
        // Same dimension, other model: still never mixed.
        XCTAssertThrowsIndexError(try index.upsert([Fixtures.record(path: "/p/x.jpg", seed: 1, model: "another")]), .modelMismatch)
        try assertConsistent(index)
    }

    func testFailuresAreRecordedClearedAndMovedWithTheFile() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        try index.recordFailure(path: "/p/bad.jpg", reason: "truncated", size: 10, mtimeNanoseconds: 5, recordedAt: 77)
        let failure = try XCTUnwrap(index.failure(path: "/p/bad.jpg"))
        XCTAssertEqual(failure, FailureRecord(path: "/p/bad.jpg", reason: "truncated", size: 10, mtimeNanoseconds: 5, recordedAt: 77))
        XCTAssertEqual(try index.counts().failed, 1)
        try index.clearFailure(path: "/p/bad.jpg")
        XCTAssertNil(try index.failure(path: "/p/bad.jpg"))

        // A successful ingest of the fixed file clears its failure.
        try index.recordFailure(path: "/p/bad.jpg", reason: "truncated", size: 10, mtimeNanoseconds: 5)
        try index.upsert([Fixtures.record(path: "/p/bad.jpg", seed: 1)])
        XCTAssertNil(try index.failure(path: "/p/bad.jpg"))
        // Removing a failed file forgets it.
        try index.recordFailure(path: "/p/gone.jpg", reason: "not a JPEG", size: 1, mtimeNanoseconds: 1)
        try index.remove(paths: ["/p/gone.jpg"])
        var all: [FailureRecord] = []
        try index.forEachFailure { all.append($0); return true }
        XCTAssertEqual(all, [])
    }

    func testLongPathsAndPrefixCollisionsWork() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        let folder = "/" + String(repeating: "d", count: 470)
        let longA = folder + "/" + String(repeating: "a", count: 300) + ".jpg"
        let longB = folder + "/" + String(repeating: "a", count: 300) + "b.jpg"
        try index.upsert([Fixtures.record(path: longA, seed: 1), Fixtures.record(path: longB, seed: 2)])
        XCTAssertEqual(try index.lookup(path: longA)?.id, 1)
        XCTAssertEqual(try index.lookup(path: longB)?.id, 2)
        XCTAssertEqual(try index.ids(inFolder: folder), [1, 2])
        try index.move(from: longA, to: "/short.jpg")
        XCTAssertEqual(try index.lookup(path: "/short.jpg")?.id, 1)
        try assertConsistent(index)
    }

    func testReopenKeepsRecordsVectorsFailuresMetaAndCounter() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<30).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        try index!.remove(paths: ["/p/29.jpg"])
        try index!.recordFailure(path: "/p/bad.jpg", reason: "corrupt", size: 3, mtimeNanoseconds: 4)
        try index!.setMeta("roots", "/home/ana/Photos")
        let query = try XCTUnwrap(index!.search.vector(id: 7))
        let before = try index!.search.search(query, k: 5)
        index!.close()
        index = nil

        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.compatibility, .compatible)
        XCTAssertEqual(try reopened.counts(), PhotoIndex.Counts(photos: 29, embedded: 29, failed: 1))
        XCTAssertEqual(try reopened.search.search(query, k: 5), before)
        XCTAssertEqual(try reopened.meta("roots"), "/home/ana/Photos")
        XCTAssertEqual(try reopened.meta(MetaKey.schemaVersion), String(PhotoIndex.schemaVersion))
        XCTAssertEqual(try reopened.upsert([Fixtures.record(path: "/p/new.jpg", seed: 99)]).first?.id, 31)
        XCTAssertThrowsIndexError(try reopened.setMeta("photoq.model_id", "x"), .invalidArgument)
        try assertConsistent(reopened)
    }

    func testGarbledRecordIsReportedAtOpenAndCanBeDropped() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<3).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        // Flip one byte of record 2 and of its search row (what start-up
        // reads; a row alone is rebuilt from its record) behind the index's back.
        let env = index!.environment
        try env.write { txn in
            for database in [env.photos, env.searchRows] {
                var bytes = try XCTUnwrap(txn.get(database, key: IndexKeys.photo(2)))
                bytes[bytes.count / 2] ^= 0x40
                try txn.put(database, key: IndexKeys.photo(2), value: bytes)
            }
        }
        index!.close()
        index = nil

        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.corruptRecordIDsAtOpen, [2])
        XCTAssertEqual(Set(reopened.search.allIDs), [1, 3])
        XCTAssertThrowsIndexError(try reopened.lookup(path: "/p/1.jpg"), .corruptRecord)
        try reopened.removeRecords(ids: reopened.corruptRecordIDsAtOpen)
        XCTAssertNil(try reopened.id(forPath: "/p/1.jpg"))
        XCTAssertEqual(try reopened.counts().photos, 2)
        try assertConsistent(reopened)
    }

    func testModelChangeIsDetectedAndNeverMixesDimensions() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<10).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        index!.close()
        index = nil

        let other = try Fixtures.openIndex(directory, model: "other-model", dimension: 12)
        XCTAssertEqual(other.compatibility, .needsReembedding(storedModelID: Fixtures.model, storedDimension: Fixtures.dimension,
                                                              storedFeatureDimension: Fixtures.featureDimension))
        XCTAssertEqual(other.search.count, 0)
        XCTAssertThrowsIndexError(try other.upsert([Fixtures.record(path: "/p/x.jpg", seed: 1, dimension: 12, model: "other-model")]),
                                  .modelMismatch)
        try other.prepareForNewModel()
        XCTAssertEqual(other.compatibility, .compatible)
        XCTAssertEqual(try other.counts(), PhotoIndex.Counts(photos: 10, embedded: 0, failed: 0))
        XCTAssertEqual(try other.pathsNeedingEmbedding().sorted(), (0..<10).map { "/p/\($0).jpg" }.sorted())
        // Re-embedding keeps ids.
        let redone = try other.upsert([Fixtures.record(path: "/p/3.jpg", seed: 3, dimension: 12, model: "other-model")])
        XCTAssertEqual(redone.first?.id, 4)
        XCTAssertEqual(try other.counts().needingEmbedding, 9)
        other.close()

        // The new model is now the stored one; the old one is the mismatch.
        let again = try Fixtures.openIndex(directory, model: "other-model", dimension: 12)
        XCTAssertEqual(again.compatibility, .compatible)
        XCTAssertEqual(again.search.count, 1)
        again.close()
        let old = try Fixtures.openIndex(directory)
        XCTAssertNotEqual(old.compatibility, .compatible)
        old.close()
    }

    func testPrepareForNewModelHandlesMoreThanOneBatch() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<5000).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        index!.close()
        index = nil
        let other = try Fixtures.openIndex(directory, model: "m2")
        defer { other.close() }
        try other.prepareForNewModel()
        XCTAssertEqual(try other.pathsNeedingEmbedding().count, 5000)
        var withVectors = 0
        try other.forEachRecord { withVectors += $0.vector.isEmpty ? 0 : 1; return true }
        XCTAssertEqual(withVectors, 0)
    }

    func testGrowsFromATinyMapWhileIndexing() throws {
        let index = try Fixtures.openIndex(directory, dimension: 384, featureDimension: 1280, mapSize: 64 << 10)
        defer { index.close() }
        for batch in 0..<10 {
            try index.upsert((0..<50).map {
                Fixtures.record(path: "/p/\(batch)/\($0).jpg", seed: UInt64(batch * 50 + $0), dimension: 384, featureDimension: 1280)
            })
        }
        XCTAssertGreaterThanOrEqual(index.environment.mapGrowthCount, 4)
        XCTAssertEqual(try index.counts().embedded, 500)
        XCTAssertEqual(try index.lookup(path: "/p/9/49.jpg")?.feature,
                       Float16Coding.rounded(Fixtures.record(path: "", seed: 499, dimension: 384, featureDimension: 1280).feature))
        try assertConsistent(index)
    }

    func testSearchThroughTheIndexWithAFolderFilter() throws {
        let index = try Fixtures.openIndex(directory)
        defer { index.close() }
        try index.upsert((0..<40).map { Fixtures.record(path: ($0 % 2 == 0 ? "/even/" : "/odd/") + "\($0).jpg", seed: UInt64($0)) })
        let query = Fixtures.record(path: "", seed: 7).vector
        let evens = try index.ids(inFolder: "/even")
        let hits = try index.search.search(query, k: 40, filter: SearchFilter(allowedIDs: evens))
        XCTAssertEqual(hits.count, 20)
        for hit in hits { XCTAssertTrue(try XCTUnwrap(index.record(id: hit.id)).path.hasPrefix("/even/")) }
        XCTAssertEqual(try index.search.search(query, k: 1).first?.id, 8) // seed 7 is the 8th id
    }
}
