import XCTest
import TestSupport
@testable import Index

/// An index written before features were kept apart (schema 1, records of
/// version 3 with the Float32 feature inline) is migrated when opened.
final class IndexMigrationTests: XCTestCase {
    /// The version 3 layout: today's minus nothing, plus the feature inline.
    private func versionThreeBytes(_ record: PhotoRecord) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt8(3))
        writer.write(record.id)
        writer.write(record.device)
        writer.write(record.inode)
        writer.write(record.size)
        writer.write(record.mtimeNanoseconds)
        writer.write(record.contentHash)
        writer.write(string: record.path)
        writer.write(string: record.modelID)
        writer.write(UInt8(0))
        writer.write(Int64(0))
        writer.write(UInt32(0))
        writer.write(string: record.format)
        writer.write(UInt8(0xFF))
        writer.write(UInt32(record.vector.count))
        writer.write(UInt32(record.feature.count))
        writer.write(floats: record.vector)
        writer.write(floats: record.feature)
        writer.writeChecksum()
        return writer.bytes
    }

    /// Writes `count` records the way schema 1 stored them.
    private func writeSchemaOneIndex(_ directory: String, count: Int) throws -> [PhotoRecord] {
        let records = (1...count).map { i -> PhotoRecord in
            var record = Fixtures.record(path: "/old/\(i).jpg", seed: UInt64(i), id: UInt64(i))
            if i % 5 == 0 { record.feature = [] } // embedded without a feature
            record.format = "jpeg"
            return record
        }
        let env = try LMDBEnvironment(directory: directory)
        try env.write { txn in
            let meta = MetaStore(txn: txn, database: env.meta)
            try meta.set(MetaKey.schemaVersion, "1")
            try meta.set(MetaKey.modelID, Fixtures.model)
            try meta.set(MetaKey.dimension, String(Fixtures.dimension))
            try meta.set(MetaKey.featureDimension, String(Fixtures.featureDimension))
            try meta.set(MetaKey.nextID, String(count + 1))
            for record in records {
                try txn.put(env.photos, key: IndexKeys.photo(record.id), value: versionThreeBytes(record))
                try txn.put(env.paths, key: IndexKeys.path(record.path), value: IndexKeys.pathValue(id: record.id, path: record.path))
            }
        }
        env.close()
        return records
    }

    func testSchemaOneIndexIsMigratedWithProgressAndNothingLost() throws {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqmigrate")
        // More than one batch, so the migration resumes across transactions.
        let records = try writeSchemaOneIndex(directory, count: IndexMigration.recordsPerBatch + 300)
        var progress: [(Int, Int)] = []
        let index = try Fixtures.openIndex(directory, mapSize: 64 << 20) { progress.append(($0, $1)) }
        XCTAssertEqual(progress.first?.0, 0)
        XCTAssertEqual(progress.last?.0, records.count)
        XCTAssertEqual(progress.count, 6, "a start and one call per batch, for features and then for search rows")
        XCTAssertEqual(try index.meta(MetaKey.schemaVersion), String(PhotoIndex.schemaVersion))
        XCTAssertEqual(index.search.count, records.count)
        XCTAssertTrue(index.corruptRecordIDsAtOpen.isEmpty)
        for record in [records[0], records[4], records[2100], records.last!] {
            var expected = record
            expected.feature = Float16Coding.rounded(record.feature)
            XCTAssertEqual(try index.lookup(path: record.path), expected)
            XCTAssertEqual(index.search.vector(id: record.id), record.vector, "search vectors stay exact")
        }
        // Records are version 4 now, their features in their own table.
        let (versions, features) = try index.environment.read { txn in
            (try txn.withValue(index.environment.photos, key: IndexKeys.photo(1)) { $0.first },
             try txn.count(index.environment.features))
        }
        XCTAssertEqual(versions, PhotoRecord.encodingVersion)
        XCTAssertEqual(features, records.filter { !$0.feature.isEmpty }.count)
        let hits = try index.search.search(records[7].vector, k: 1)
        XCTAssertEqual(hits.first?.id, records[7].id)
        index.close()

        // A second open has nothing left to migrate.
        var again = 0
        let reopened = try Fixtures.openIndex(directory, mapSize: 64 << 20) { _, _ in again += 1 }
        XCTAssertEqual(again, 0)
        XCTAssertEqual(reopened.search.count, records.count)
        reopened.close()
    }

    /// Moving a photo keeps its feature (stored under its id), and removing
    /// it drops the feature with the record.
    func testFeatureFollowsMovesAndGoesWithTheRecord() throws {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqfeat")
        let index = try Fixtures.openIndex(directory)
        let stored = try index.upsert([Fixtures.record(path: "/p/a.jpg", seed: 1)])[0]
        try index.move(from: "/p/a.jpg", to: "/p/b.jpg")
        XCTAssertEqual(try index.lookup(path: "/p/b.jpg")?.feature, Float16Coding.rounded(stored.feature))
        try index.remove(paths: ["/p/b.jpg"])
        let left = try index.environment.read { try $0.count(index.environment.features) }
        XCTAssertEqual(left, 0)
        index.close()
    }
}
