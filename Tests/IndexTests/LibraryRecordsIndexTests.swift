import XCTest
import TestSupport
@testable import Index

/// Capture dates and formats in records, the date filters see, and the
/// catalog of copies and formats kept in step with the vector search.
final class LibraryRecordsIndexTests: XCTestCase {
    private let july2015 = CaptureTime(
        wallClockNanoseconds: CaptureTime.wallClockNanoseconds(year: 2015, month: 7, day: 4, hour: 18, minute: 22,
                                                               second: 3, fraction: 0.25),
        utcOffsetSeconds: 7200)

    func testTakenAndFormatRoundTrip() throws {
        var record = Fixtures.record(path: "/p/a.heic", seed: 3, id: 9)
        record.taken = july2015
        record.format = "heic"
        XCTAssertEqual(try PhotoRecord(decoding: record.encoded()), record)
        record.taken = CaptureTime(wallClockNanoseconds: -1_000_000_000, utcOffsetSeconds: nil)
        XCTAssertEqual(try PhotoRecord(decoding: record.encoded()), record)
        let light = try record.encoded().withUnsafeBytes { try PhotoRecord(decoding: $0, includeFloats: false) }
        XCTAssertEqual(light.taken, record.taken)
        XCTAssertEqual(light.format, "heic")
    }

    /// A record written by the previous version (1) still decodes, without date or format.
    func testVersionOneRecordsDecodeWithoutTakenOrFormat() throws {
        let record = Fixtures.record(path: "/p/old.jpg", seed: 5, id: 4)
        var writer = ByteWriter()
        writer.write(UInt8(1))
        writer.write(record.id)
        writer.write(record.device)
        writer.write(record.inode)
        writer.write(record.size)
        writer.write(record.mtimeNanoseconds)
        writer.write(record.contentHash)
        writer.write(string: record.path)
        writer.write(string: record.modelID)
        writer.write(UInt32(record.vector.count))
        writer.write(UInt32(record.feature.count))
        writer.write(floats: record.vector)
        writer.write(floats: record.feature)
        writer.writeChecksum()
        let decoded = try PhotoRecord(decoding: writer.bytes)
        XCTAssertEqual(decoded, record)
        XCTAssertNil(decoded.taken)
        XCTAssertEqual(decoded.format, "")
        XCTAssertEqual(decoded.searchDateNanoseconds, record.mtimeNanoseconds)
    }

    func testImpossibleCaptureFlagsAreCorrupt() throws {
        var record = Fixtures.record(path: "/p/a.jpg", seed: 3, id: 9)
        record.taken = july2015
        var bytes = record.encoded()
        let flags = 1 + 6 * 8 + 4 + record.path.utf8.count + 4 + record.modelID.utf8.count
        XCTAssertEqual(bytes[flags], 3)
        bytes[flags] = 2 // an offset without a date
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try PhotoRecord(decoding: $0, includeFloats: false) })
    }

    func testISO8601KeepsOffsetAndMilliseconds() {
        XCTAssertEqual(july2015.iso8601, "2015-07-04T18:22:03.250+02:00")
        XCTAssertEqual(july2015.instantNanoseconds, 1_436_026_923_250_000_000)
        let noZone = CaptureTime(wallClockNanoseconds: CaptureTime.wallClockNanoseconds(
            year: 1999, month: 12, day: 31, hour: 23, minute: 59, second: 59, fraction: 0), utcOffsetSeconds: nil)
        XCTAssertEqual(noZone.iso8601, "1999-12-31T23:59:59")
        XCTAssertEqual(CaptureTime(wallClockNanoseconds: 0, utcOffsetSeconds: -19800).iso8601, "1970-01-01T00:00:00-05:30")
        XCTAssertEqual(CaptureTime.utcISO8601(nanoseconds: -1_000_000), "1969-12-31T23:59:59.999Z")
    }

    /// A photo copied today but taken in 2015 is dated 2015; one without a date goes by its mtime.
    func testDateFilterSeesTakenElseMtime() throws {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqrec")
        let index = try Fixtures.openIndex(directory)
        var old = Fixtures.record(path: "/p/old.jpg", seed: 1)
        old.mtimeNanoseconds = 1_780_000_000_000_000_000 // 2026
        old.taken = july2015
        var undated = Fixtures.record(path: "/p/undated.jpg", seed: 2)
        undated.mtimeNanoseconds = 1_780_000_000_000_000_000
        let stored = try index.upsert([old, undated])
        let before2016 = SearchFilter(dateRange: Int64.min...1_451_606_399_999_999_999)
        let after2016 = SearchFilter(dateRange: 1_451_606_400_000_000_000...Int64.max)
        let query = old.vector
        XCTAssertEqual(try index.search.search(query, k: 5, filter: before2016).map(\.id), [stored[0].id])
        XCTAssertEqual(Set(try index.search.search(query, k: 5, filter: after2016).map(\.id)), [stored[1].id])
        // The date survives a reopen (loaded from the records).
        index.close()
        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(try reopened.search.search(query, k: 5, filter: before2016).map(\.id), [stored[0].id])
    }

    func testCatalogGroupsCopiesAndFollowsDeletesAndChanges() throws {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqrec")
        let index = try Fixtures.openIndex(directory)
        var records = (0..<4).map { Fixtures.record(path: "/p/\($0).jpg", seed: UInt64($0 + 1)) }
        for i in 0..<3 { records[i].contentHash = 77; records[i].format = "jpeg" }
        records[3].format = "png"
        let stored = try index.upsert(records)
        let ids = stored.map(\.id)
        XCTAssertEqual(index.catalog.copies(of: ids[1]), Array(ids[0..<3]))
        XCTAssertEqual(index.catalog.copies(of: ids[3]), [ids[3]])
        XCTAssertNil(index.catalog.copyGroup(of: ids[3]))
        XCTAssertEqual(index.catalog.countsByFormat, ["jpeg": 3, "png": 1])

        _ = try index.remove(paths: ["/p/0.jpg"])
        XCTAssertEqual(index.catalog.copies(of: ids[2]), [ids[1], ids[2]])
        var changed = stored[1]
        changed.contentHash = 78 // rewritten with other bytes: no longer a copy
        changed.format = "webp"
        _ = try index.upsert([changed])
        XCTAssertEqual(index.catalog.copies(of: ids[2]), [ids[2]])
        XCTAssertNil(index.catalog.copyGroup(of: ids[2]))
        XCTAssertEqual(index.catalog.countsByFormat, ["jpeg": 1, "png": 1, "webp": 1])
        var again = stored[3]
        again.contentHash = 78 // now a copy of the rewritten one
        _ = try index.upsert([again])
        XCTAssertEqual(index.catalog.copies(of: ids[1]), [ids[1], ids[3]])

        // Reopened: the same groups and counts, from the records.
        index.close()
        let reopened = try Fixtures.openIndex(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.catalog.copies(of: ids[3]), [ids[1], ids[3]])
        XCTAssertEqual(reopened.catalog.countsByFormat, ["jpeg": 1, "png": 1, "webp": 1])
    }

    /// Widening selects more hits from one scoring until the caller has enough,
    /// and stops at every photo when it never has.
    func testSearchWidensUntilEnough() throws {
        let search = VectorSearch(dimension: 4)
        let query: [Float] = [1, 0, 0, 0]
        // 40 rows, scores falling with the id.
        var rows: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)] = []
        for i in 1...40 {
            let x = Float(i) / 100
            rows.append((UInt64(i), [1 - x, x, 0, 0], 0))
        }
        try search.upsert(rows)
        var asked: [Int] = []
        let hits = try search.search(query, k: 3, widenUntil: { hits in
            asked.append(hits.count)
            return hits.count >= 10
        })
        XCTAssertEqual(asked, [3, 6, 12])
        XCTAssertEqual(hits.map(\.id), Array(1...12))
        let all = try search.search(query, k: 3, widenUntil: { _ in false })
        XCTAssertEqual(all.count, 40)
        let filtered = try search.search(query, k: 3, filter: SearchFilter(allowedIDs: [2, 5]), widenUntil: { _ in false })
        XCTAssertEqual(filtered.map(\.id), [2, 5])
    }
}
