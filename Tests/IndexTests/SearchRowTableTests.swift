import Foundation
import XCTest
@testable import Index
import TestSupport

/// Asserts that the searchrows table holds exactly one row per record with a
/// vector, each the row its record gives, and that the search finds what a
/// search built from the records finds.
func assertRowsMatchRecords(_ index: PhotoIndex, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
    let env = index.environment
    var records: [UInt64: PhotoRecord] = [:]
    try index.forEachRecord { records[$0.id] = $0; return true }
    let rows = try env.read { txn -> [UInt64: [UInt8]] in
        var rows: [UInt64: [UInt8]] = [:]
        try txn.forEach(env.searchRows) { key, value in
            rows[IndexKeys.decodePhotoKey(key) ?? 0] = Array(value)
            return true
        }
        return rows
    }
    let embedded = records.values.filter { !$0.vector.isEmpty }
    XCTAssertEqual(Set(rows.keys), Set(embedded.map(\.id)), "\(what): row ids vs embedded records", file: file, line: line)
    for record in embedded where rows[record.id] != SearchRowCoding.encoded(record) {
        XCTFail("\(what): the row of \(record.id) is not its record's", file: file, line: line)
    }
    XCTAssertEqual(Set(index.search.allIDs), Set(embedded.map(\.id)), "\(what): search ids", file: file, line: line)
    let reference = VectorSearch(dimension: index.dimension)
    try reference.upsert(embedded.map { ($0.id, $0.vector, $0.searchDateNanoseconds) })
    for record in embedded.prefix(5) {
        XCTAssertEqual(try index.search.search(record.vector, k: 5), try reference.search(record.vector, k: 5),
                       "\(what): search for \(record.id)", file: file, line: line)
    }
}

/// The searchrows table: written with the records, all start-up reads, and
/// never trusted past what it can prove.
final class SearchRowTableTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try TestEnvironment.temporaryDirectory(self)
    }

    private func rowBytes(_ index: PhotoIndex, _ id: UInt64) throws -> [UInt8]? {
        try index.environment.read { try $0.get(index.environment.searchRows, key: IndexKeys.photo(id)) }
    }

    func testRowsFollowInsertsUpdatesMovesAndDeletesAcrossReopen() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<40).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        try assertRowsMatchRecords(index!, "after inserts")
        // Update: a new vector and a capture date, which the row's date follows.
        var changed = Fixtures.record(path: "/p/3.jpg", seed: 300)
        changed.taken = CaptureTime(wallClockNanoseconds: 1_500_000_000_000_000_000, utcOffsetSeconds: 3600)
        changed.format = "heic"
        try index!.upsert([changed])
        // A record without a vector (waiting for a new embedding) has no row.
        var waiting = Fixtures.record(path: "/p/4.jpg", seed: 4)
        waiting.vector = []
        waiting.feature = []
        try index!.upsert([waiting])
        XCTAssertNil(try rowBytes(index!, 5))
        try index!.remove(paths: ["/p/7.jpg", "/p/8.jpg"])
        try index!.move(from: "/p/9.jpg", to: "/p/10.jpg") // replaces photo 11
        try index!.apply([.moveFolder(from: "/p", to: "/q"), .removeFolder("/none")])
        try index!.removeRecords(ids: [20])
        try assertRowsMatchRecords(index!, "after changes")
        let query = Fixtures.record(path: "", seed: 300).vector
        let before = try index!.search.search(query, k: 10)
        let dated = try index!.search.search(query, k: 3, filter: SearchFilter(dateRange: 0...1_600_000_000_000_000_000))
        XCTAssertEqual(dated.map(\.id), [4], "only the updated photo was taken before 2020")
        index!.close()
        index = nil

        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.corruptRecordIDsAtOpen, [])
        XCTAssertEqual(try reopened.search.search(query, k: 10), before)
        XCTAssertEqual(try reopened.search.search(query, k: 3, filter: SearchFilter(dateRange: 0...1_600_000_000_000_000_000)), dated)
        XCTAssertEqual(reopened.catalog.countsByFormat, ["": 34, "heic": 1])
        try assertRowsMatchRecords(reopened, "after reopen")
    }

    func testStartUpReadsRowsNotRecords() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<3).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        // Garble record 2 behind the index's back; its row stays intact.
        let env = index!.environment
        try env.write { txn in
            var bytes = try XCTUnwrap(txn.get(env.photos, key: IndexKeys.photo(2)))
            bytes[bytes.count / 2] ^= 0x40
            try txn.put(env.photos, key: IndexKeys.photo(2), value: bytes)
        }
        index!.close()
        index = nil

        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.corruptRecordIDsAtOpen, [], "the records were not read")
        XCTAssertEqual(Set(reopened.search.allIDs), [1, 2, 3])
        // Rescoring cannot read record 2: it drops out of the results instead of failing the search.
        let hits = try reopened.search.search(Fixtures.record(path: "", seed: 1).vector, k: 3)
        XCTAssertEqual(Set(hits.map(\.id)), [1, 3])
        XCTAssertThrowsIndexError(try reopened.record(id: 2), .corruptRecord)
        // Scans skip it, so the library scan finds its photo unknown and
        // indexes it again: under the same id, which heals it.
        var scanned: [UInt64] = []
        try reopened.forEachRecord { scanned.append($0.id); return true }
        XCTAssertEqual(scanned, [1, 3])
        XCTAssertEqual(try reopened.upsert([Fixtures.record(path: "/p/1.jpg", seed: 1)]).first?.id, 2)
        try assertRowsMatchRecords(reopened)
    }

    func testGarbledRowIsRebuiltFromItsRecord() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<3).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        let env = index!.environment
        try env.write { txn in
            var bytes = try XCTUnwrap(txn.get(env.searchRows, key: IndexKeys.photo(2)))
            bytes[bytes.count / 2] ^= 0x01
            try txn.put(env.searchRows, key: IndexKeys.photo(2), value: bytes)
        }
        index!.close()
        index = nil

        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.corruptRecordIDsAtOpen, [])
        let record = try XCTUnwrap(reopened.record(id: 2))
        XCTAssertEqual(try rowBytes(reopened, 2), SearchRowCoding.encoded(record), "rewritten")
        XCTAssertEqual(try reopened.search.search(record.vector, k: 1).first?.id, 2)
        try assertRowsMatchRecords(reopened)
    }

    func testGarbledRowOfAGarbledRecordIsReportedAndDropped() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<3).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
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
        XCTAssertNil(try rowBytes(reopened, 2))
        try reopened.removeRecords(ids: reopened.corruptRecordIDsAtOpen)
        try assertRowsMatchRecords(reopened)
    }

    /// Rows for photos that are gone (a table left behind by a build that
    /// did not finish, or written by something else) never bring them back.
    func testRowsWithoutRecordsAreNeverResurrected() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        let stored = try index!.upsert((0..<4).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        let env = index!.environment
        // A valid row for an id with no record: more rows than records.
        var ghost = stored[0]
        ghost.id = 77
        try env.write { txn in
            try txn.put(env.searchRows, key: IndexKeys.photo(77), value: SearchRowCoding.encoded(ghost))
            // And a garbled one for an id that has none either.
            try txn.put(env.searchRows, key: IndexKeys.photo(78), value: [1, 2, 3])
        }
        index!.close()
        index = nil

        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(Set(reopened.search.allIDs), [1, 2, 3, 4])
        XCTAssertEqual(reopened.corruptRecordIDsAtOpen, [])
        try assertRowsMatchRecords(reopened)
    }

    func testModelChangeClearsTheRows() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory)
        try index!.upsert((0..<10).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        index!.close()
        index = nil
        let other = try Fixtures.openIndex(directory, model: "other-model", dimension: 12)
        try other.prepareForNewModel()
        XCTAssertEqual(try other.environment.read { try $0.count(other.environment.searchRows) }, 0)
        try other.upsert([Fixtures.record(path: "/p/1.jpg", seed: 5, dimension: 12, model: "other-model")])
        other.close()
        let reopened = try Fixtures.openIndex(directory, model: "other-model", dimension: 12)
        defer { reopened.close() }
        XCTAssertEqual(reopened.search.count, 1)
        try assertRowsMatchRecords(reopened)
    }

    /// Records of schema 2 (features apart, no rows) get their rows when
    /// opened, with progress; a build cut short starts over.
    func testSchemaTwoIndexGetsItsRowsAtOpen() throws {
        var index: PhotoIndex? = try Fixtures.openIndex(directory, mapSize: 64 << 20)
        let count = IndexMigration.recordsPerBatch + 100
        try index!.upsert((0..<count).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0)) })
        let query = Fixtures.record(path: "", seed: 17).vector
        let before = try index!.search.search(query, k: 10)
        // Back to schema 2: no rows, except two left by an interrupted build
        // (one of a photo deleted since), which must not survive.
        let env = index!.environment
        try env.write { txn in
            let kept = try XCTUnwrap(txn.get(env.searchRows, key: IndexKeys.photo(5)))
            try txn.removeAll(env.searchRows)
            try txn.put(env.searchRows, key: IndexKeys.photo(5), value: kept)
            try txn.put(env.searchRows, key: IndexKeys.photo(UInt64(count + 50)), value: kept)
            try MetaStore(txn: txn, database: env.meta).set(MetaKey.schemaVersion, "2")
        }
        index!.close()
        index = nil

        var progress: [(Int, Int)] = []
        let migrated = try Fixtures.openIndex(directory, mapSize: 64 << 20) { progress.append(($0, $1)) }
        defer { migrated.close() }
        XCTAssertEqual(progress.map(\.0), [0, IndexMigration.recordsPerBatch, count])
        XCTAssertEqual(progress.last?.1, count)
        XCTAssertEqual(try migrated.meta(MetaKey.schemaVersion), "3")
        XCTAssertEqual(migrated.search.count, count)
        XCTAssertEqual(try migrated.search.search(query, k: 10), before)
        try assertRowsMatchRecords(migrated)
    }
}
