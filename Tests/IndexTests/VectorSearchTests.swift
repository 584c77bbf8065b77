import Foundation
import XCTest
@testable import Index
import TestSupport

final class VectorSearchTests: XCTestCase {
    /// The reference: score every row with a plain loop, sort everything.
    private func naiveTopK(_ rows: [(id: UInt64, vector: [Float])], _ query: [Float], k: Int,
                           allowed: (UInt64) -> Bool = { _ in true }) -> [SearchHit] {
        let hits = rows.filter { allowed($0.id) }.map { row in
            SearchHit(id: row.id, score: zip(row.vector, query).reduce(Float(0)) { $0 + $1.0 * $1.1 })
        }
        // Its own order (not SearchHit.ranksBefore): score descending, then id.
        let sorted = hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(sorted.prefix(k))
    }

    /// BLAS and the plain loop sum in different orders, so compare with a
    /// tolerance: same length, same scores, and any id that differs must be
    /// a near-tie at the cut-off.
    private func assertSameTopK(_ got: [SearchHit], _ expected: [SearchHit], tolerance: Float = 1e-4,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, expected.count, "result count", file: file, line: line)
        for (g, e) in zip(got, expected) {
            XCTAssertEqual(g.score, e.score, accuracy: tolerance, "scores \(g) vs \(e)", file: file, line: line)
        }
        let cutoff = expected.last?.score ?? 0
        for (g, e) in zip(got, expected) where g.id != e.id {
            XCTAssertEqual(g.score, cutoff, accuracy: 10 * tolerance, "\(g) vs \(e) is no near-tie", file: file, line: line)
        }
        for (a, b) in zip(got, got.dropFirst()) {
            XCTAssertTrue(a.score > b.score || (a.score == b.score && a.id < b.id), "\(a) before \(b)", file: file, line: line)
        }
    }

    private func randomRows(_ n: Int, _ d: Int, seed: UInt64) -> [(id: UInt64, vector: [Float])] {
        var rng = SeededGenerator(seed: seed)
        // Sparse, shuffled ids: the search must not assume ids are row numbers.
        return (0..<n).map { i in (UInt64(i * 7 + 3), Fixtures.randomVector(d, &rng)) }.shuffled(using: &rng)
    }

    private func makeSearch(_ rows: [(id: UInt64, vector: [Float])], dimension: Int) throws -> VectorSearch {
        let search = VectorSearch(dimension: dimension, reservingCapacity: 1)
        try search.upsert(rows.map { ($0.id, $0.vector, Int64($0.id)) })
        return search
    }

    func testTopKMatchesNaiveScanForManyShapes() throws {
        for (n, d, k) in [(1, 3, 1), (5, 4, 10), (100, 16, 1), (1000, 384, 10), (2500, 64, 100), (50, 8, 50), (3000, 33, 3000)] {
            let rows = randomRows(n, d, seed: UInt64(n * 31 + d))
            let search = try makeSearch(rows, dimension: d)
            var rng = SeededGenerator(seed: UInt64(k))
            for _ in 0..<3 {
                let query = Fixtures.randomVector(d, &rng)
                assertSameTopK(try search.search(query, k: k), naiveTopK(rows, query, k: k))
            }
        }
    }

    func testTiesAreBrokenBySmallerIDExactly() throws {
        // Small integer components: every dot product is exact, many are equal.
        var rng = SeededGenerator(seed: 9)
        let d = 6
        let rows: [(id: UInt64, vector: [Float])] = (0..<400).map { i in
            (UInt64(1000 - i), (0..<d).map { _ in Float(Int.random(in: -1...1, using: &rng)) })
        }
        let search = try makeSearch(rows, dimension: d)
        for k in [1, 5, 37, 400, 500] {
            let query = (0..<d).map { _ in Float(Int.random(in: -2...2, using: &rng)) }
            XCTAssertEqual(try search.search(query, k: k), naiveTopK(rows, query, k: k), "k=\(k)")
        }
    }

    func testBatchSearchEqualsSingleQueries() throws {
        let rows = randomRows(700, 24, seed: 5)
        let search = try makeSearch(rows, dimension: 24)
        var rng = SeededGenerator(seed: 6)
        let queries = (0..<9).map { _ in Fixtures.randomVector(24, &rng) }
        let batch = try search.search(queries: queries, k: 12)
        XCTAssertEqual(batch.count, queries.count)
        for (query, hits) in zip(queries, batch) {
            assertSameTopK(hits, naiveTopK(rows, query, k: 12))
        }
    }

    func testFiltersByAllowedSetMtimeRangeAndPredicate() throws {
        let rows = randomRows(500, 12, seed: 8)
        let search = try makeSearch(rows, dimension: 12) // mtime == id
        let allowed = Set(rows.map(\.id).filter { $0 % 3 == 0 })
        let query = rows[0].vector
        assertSameTopK(try search.search(query, k: 20, filter: SearchFilter(allowedIDs: allowed)),
                       naiveTopK(rows, query, k: 20) { allowed.contains($0) })
        assertSameTopK(try search.search(query, k: 20, filter: SearchFilter(dateRange: 100...900)),
                       naiveTopK(rows, query, k: 20) { (100...900).contains($0) })
        let both = SearchFilter(allowedIDs: allowed, dateRange: 100...900, predicate: { $0 % 2 == 0 })
        assertSameTopK(try search.search(query, k: 20, filter: both),
                       naiveTopK(rows, query, k: 20) { allowed.contains($0) && (100...900).contains($0) && $0 % 2 == 0 })
        XCTAssertEqual(try search.search(query, k: 5, filter: SearchFilter(allowedIDs: [])), [])
        // A small allowed set (with unknown ids) takes the row-by-row path.
        let few = Set(rows.map(\.id).filter { $0 % 41 == 0 } + [1_000_001])
        XCTAssertLessThan(few.count * VectorSearch.sparseFilterRatio, rows.count)
        assertSameTopK(try search.search(query, k: 7, filter: SearchFilter(allowedIDs: few)),
                       naiveTopK(rows, query, k: 7) { few.contains($0) })
        assertSameTopK(try search.search(query, k: 7, filter: SearchFilter(allowedIDs: few, dateRange: 0...2000)),
                       naiveTopK(rows, query, k: 7) { few.contains($0) && $0 <= 2000 })
    }

    func testDeletesAndUpdatesAreReflected() throws {
        var rows = randomRows(300, 10, seed: 11)
        let search = try makeSearch(rows, dimension: 10)
        var rng = SeededGenerator(seed: 12)
        // Remove a third (including the last row and the first), update some.
        let removed = Set(rows.indices.filter { $0 % 3 == 0 || $0 == rows.count - 1 }.map { rows[$0].id })
        XCTAssertEqual(search.remove(ids: Array(removed) + [999_999]), removed.count)
        rows.removeAll { removed.contains($0.id) }
        for i in stride(from: 0, to: rows.count, by: 5) {
            rows[i].vector = Fixtures.randomVector(10, &rng)
            try search.upsert(id: rows[i].id, vector: rows[i].vector)
        }
        XCTAssertEqual(search.count, rows.count)
        for row in rows { XCTAssertEqual(search.vector(id: row.id), row.vector) }
        for id in removed { XCTAssertFalse(search.contains(id: id)) }
        for _ in 0..<5 {
            let query = Fixtures.randomVector(10, &rng)
            assertSameTopK(try search.search(query, k: 15), naiveTopK(rows, query, k: 15))
        }
        search.removeAll()
        XCTAssertEqual(try search.search(rows[0].vector, k: 3), [])
    }

    func testBadInputIsATypedError() throws {
        let search = VectorSearch(dimension: 4)
        XCTAssertThrowsIndexError(try search.search([1, 2, 3], k: 1), .dimensionMismatch)
        XCTAssertThrowsIndexError(try search.upsert(id: 1, vector: [1, 2, 3, 4, 5]), .dimensionMismatch)
        XCTAssertThrowsIndexError(try search.upsert(id: 1, vector: [1, .nan, 3, 4]), .invalidArgument)
        XCTAssertThrowsIndexError(try search.search([1, 2, .infinity, 4], k: 1), .invalidArgument)
        XCTAssertEqual(try search.search([1, 2, 3, 4], k: 0), [])
        XCTAssertEqual(search.count, 0)
    }

    func testConcurrentSearchesWhileWriting() throws {
        let d = 32
        let stable = randomRows(2000, d, seed: 21)
        let search = try makeSearch(stable, dimension: d)
        let query = stable[0].vector
        let expected = try search.search(query, k: 5)
        // A writer churns ids that never outrank the stable rows (zero vectors
        // score 0, below the query's own score); readers keep getting the top.
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 5) { worker in
            if worker == 0 {
                for round in 0..<300 {
                    let id = UInt64(1_000_000 + round % 50)
                    try? search.upsert(id: id, vector: [Float](repeating: 0, count: d))
                    if round % 3 == 0 { search.remove(id: id) }
                }
            } else {
                for _ in 0..<100 where (try? search.search(query, k: 1))?.first != expected.first {
                    failures.increment()
                }
            }
        }
        XCTAssertEqual(failures.value, 0)
    }

    /// Scores and ranking against NumPy (float64) on one random case.
    func testMatchesNumPyReference() throws {
        let n = 400, d = 48, k = 10
        let rows = randomRows(n, d, seed: 33)
        let search = try makeSearch(rows, dimension: d)
        var rng = SeededGenerator(seed: 34)
        let query = Fixtures.randomVector(d, &rng)
        let dir = try TestEnvironment.temporaryDirectory(self)
        var matrix: [Float] = []
        for row in rows { matrix += row.vector }
        try Data(bytes: matrix, count: matrix.count * 4).write(to: URL(fileURLWithPath: dir + "/m.f32"))
        try Data(bytes: query, count: d * 4).write(to: URL(fileURLWithPath: dir + "/q.f32"))
        try rows.map { String($0.id) }.joined(separator: "\n").write(toFile: dir + "/ids.txt", atomically: true, encoding: .utf8)
        let script = """
        import sys, numpy as np
        d, k, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
        m = np.fromfile(folder + "/m.f32", dtype="<f4").astype(np.float64).reshape(-1, d)
        q = np.fromfile(folder + "/q.f32", dtype="<f4").astype(np.float64)
        ids = np.loadtxt(folder + "/ids.txt", dtype=np.uint64)
        s = m @ q
        order = np.lexsort((ids, -s))[:k]
        for i in order: print(int(ids[i]), repr(float(s[i])))
        """
        guard FileManager.default.isExecutableFile(atPath: TestEnvironment.python) else {
            if TestEnvironment.requireAssets { XCTFail("no Python at \(TestEnvironment.python)") }
            throw XCTSkip("no Python at \(TestEnvironment.python)")
        }
        let result = try TestEnvironment.run(TestEnvironment.python, ["-c", script, String(d), String(k), dir])
        XCTAssertEqual(result.status, 0, String(decoding: result.stderr, as: UTF8.self))
        let expected = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return SearchHit(id: UInt64(parts[0])!, score: Float(Double(parts[1])!))
        }
        assertSameTopK(try search.search(query, k: k), expected)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
