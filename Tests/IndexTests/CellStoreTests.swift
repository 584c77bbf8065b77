import TestSupport
import XCTest
@testable import Index

/// The reranker's cells: stored apart from the record, kept when a record
/// is rewritten without them, gone with the record or its vector, and a
/// garbled entry reads as none instead of failing the query.
final class CellStoreTests: XCTestCase {
    private func cells(_ seed: Int, rows: Int = 3, rank: Int = 5) -> PhotoCells {
        var rng = SeededGenerator(seed: UInt64(seed))
        return PhotoCells(rows: rows, rank: rank, scales: (0..<rows).map { _ in Float.random(in: 0...0.01, using: &rng) },
                          coordinates: (0..<(rows * rank)).map { _ in Int8.random(in: -127...127, using: &rng) })
    }

    func testCodingRoundTripsAndRejectsDamage() throws {
        let original = cells(1, rows: 49, rank: 256)
        let bytes = CellCoding.encoded(original)
        XCTAssertEqual(bytes.count, 13 + 49 * (256 + 4), "header, scales, int8 coordinates and checksum only")
        XCTAssertEqual(try bytes.withUnsafeBytes { try CellCoding.decode($0) }, original)
        var flipped = bytes
        flipped[100] ^= 0x40
        XCTAssertThrowsError(try flipped.withUnsafeBytes { try CellCoding.decode($0) }, "a changed byte fails the checksum")
        XCTAssertThrowsError(try Array(bytes.dropLast(9)).withUnsafeBytes { try CellCoding.decode($0) }, "a truncated entry")
        XCTAssertThrowsError(try [UInt8]([9, 0, 0]).withUnsafeBytes { try CellCoding.decode($0) }, "an unknown version")
    }

    func testCellsFollowTheirRecord() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqcells")
        let index = try Fixtures.openIndex(dir)
        var a = Fixtures.record(path: "/p/a.jpg", seed: 1)
        a.cells = cells(1)
        var b = Fixtures.record(path: "/p/b.jpg", seed: 2)
        b.cells = cells(2)
        let stored = try index.upsert([a, b])
        let (idA, idB) = (stored[0].id, stored[1].id)
        XCTAssertEqual(try index.recordsWithCells(ids: [idB, idA]).map(\.cells), [cells(2), cells(1)])
        XCTAssertNil(try index.record(id: idA)?.cells, "plain reads do not read the cells")

        // A rewrite without cells (a rename, a touch) keeps them; one without a vector drops them.
        var renamed = try XCTUnwrap(index.record(id: idA))
        renamed.path = "/p/a2.jpg"
        _ = try index.upsert([renamed])
        XCTAssertEqual(try index.recordsWithCells(ids: [idA]).first?.cells, cells(1))
        var cleared = try XCTUnwrap(index.record(id: idA))
        cleared.vector = []
        _ = try index.upsert([cleared])
        XCTAssertNil(try index.recordsWithCells(ids: [idA]).first?.cells)

        // Removing a photo removes its cells; a garbled entry reads as none.
        _ = try index.remove(paths: ["/p/b.jpg"])
        XCTAssertTrue(try index.recordsWithCells(ids: [idB]).isEmpty)
        var c = Fixtures.record(path: "/p/c.jpg", seed: 3)
        c.cells = cells(3)
        let idC = try index.upsert([c])[0].id
        try index.environment.write { txn in try txn.put(index.environment.cells, key: IndexKeys.photo(idC), value: [1, 2, 3]) }
        let garbled = try index.recordsWithCells(ids: [idC])
        XCTAssertEqual(garbled.count, 1)
        XCTAssertNil(garbled[0].cells)
        index.close()

        // A new model clears every photo's cells with its vectors.
        let reopened = try Fixtures.openIndex(dir)
        var d = Fixtures.record(path: "/p/d.jpg", seed: 4)
        d.cells = cells(4)
        let idD = try reopened.upsert([d])[0].id
        reopened.close()
        let other = try Fixtures.openIndex(dir, model: "test-model-v2")
        try other.prepareForNewModel()
        XCTAssertNil(try other.recordsWithCells(ids: [idD]).first?.cells)
        other.close()
    }
}
