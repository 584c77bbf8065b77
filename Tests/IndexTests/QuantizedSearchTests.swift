import CVectorScan
import XCTest
import TestSupport
@testable import Index

/// The int8 rows behind the vector search: quantiser, scan kernels, the
/// parallel scan and the exact rescoring, each against a Float32 reference.
final class QuantizedSearchTests: XCTestCase {
    /// The exact reference: every row scored in Float32 with the rescoring's
    /// own sum, sorted by score then id.
    private func exactTopK(_ rows: [UInt64: [Float]], _ query: [Float], k: Int,
                           allowed: (UInt64) -> Bool = { _ in true }) -> [SearchHit] {
        let hits = rows.filter { allowed($0.key) }.map { SearchHit(id: $0.key, score: VectorSearch.dot(query, $0.value)) }
        return Array(hits.sorted(by: SearchHit.ranksBefore).prefix(k))
    }

    private func unitVector(_ d: Int, _ rng: inout SeededGenerator) -> [Float] {
        let v = Fixtures.randomVector(d, &rng)
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    func testQuantiserStaysWithinHalfAStepAndNeverWritesMinus128() {
        var rng = SeededGenerator(seed: 11)
        for d in [1, 7, 384] {
            let v = Fixtures.randomVector(d, &rng).map { $0 * 3 }
            let (codes, scale) = Quantizer.quantize(v)
            XCTAssertEqual(scale, v.map(abs).max()! / 127, accuracy: 1e-7)
            XCTAssertTrue(codes.allSatisfy { $0 >= -127 })
            XCTAssertTrue(codes.contains { abs($0) == 127 }, "the largest value maps to ±127")
            for (x, y) in zip(v, Quantizer.dequantize(codes, scale: scale)) {
                XCTAssertLessThanOrEqual(abs(x - y), scale / 2 * 1.0001)
            }
        }
        let zero = Quantizer.quantize([0, 0, 0])
        XCTAssertEqual(zero.scale, 0)
        XCTAssertEqual(zero.codes, [0, 0, 0])
    }

    /// Both kernels against a plain Swift sum, on row lengths around the
    /// AVX2 block (32 bytes) and row counts around its pair, at the extremes.
    func testScanKernelsMatchTheScalarSum() throws {
        var rng = SeededGenerator(seed: 5)
        XCTAssertTrue(["avx2", "portable"].contains(VectorSearch.kernelName))
        var avx2Ran = false
        for bytes in [1, 16, 31, 32, 33, 64, 192, 193] {
            for n in [1, 2, 3, 5] {
                var rows = (0..<(n * bytes)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                var even = (0..<bytes).map { _ in Int8(Int.random(in: -127...127, using: &rng)) }
                var odd = (0..<bytes).map { _ in Int8(Int.random(in: -127...127, using: &rng)) }
                if bytes == 192 {
                    rows[0..<bytes] = ArraySlice(repeating: 255, count: bytes)
                    even = Array(repeating: -127, count: bytes)
                    odd = Array(repeating: 127, count: bytes)
                }
                let expected = (0..<n).map { r in
                    (0..<bytes).reduce(Int32(0)) { sum, j in
                        let byte = rows[r * bytes + j]
                        return sum + Int32(byte & 15) * Int32(even[j]) + Int32(byte >> 4) * Int32(odd[j])
                    }
                }
                var portable = [Int32](repeating: 0, count: n)
                var avx2 = [Int32](repeating: 0, count: n)
                var dispatched = [Int32](repeating: 0, count: n)
                pq_scan_u4_portable(rows, n, bytes, even, odd, &portable)
                pq_scan_u4(rows, n, bytes, even, odd, &dispatched)
                XCTAssertEqual(portable, expected, "portable, \(bytes) bytes, n \(n)")
                XCTAssertEqual(dispatched, expected, "dispatched, \(bytes) bytes, n \(n)")
                if pq_scan_u4_avx2(rows, n, bytes, even, odd, &avx2) == 1 {
                    avx2Ran = true
                    XCTAssertEqual(avx2, expected, "avx2, \(bytes) bytes, n \(n)")
                }
            }
        }
        if !avx2Ran { XCTAssertEqual(VectorSearch.kernelName, "portable", "no AVX2 here, so the portable kernel is chosen") }
    }

    /// The C quantiser writes the Swift quantiser's codes (which the query
    /// uses), and its two 4-bit planes give back every code exactly.
    func testNibblePlanesHoldTheQuantisersCodes() {
        var rng = SeededGenerator(seed: 12)
        for d in [1, 2, 7, 33, 384] {
            var vector = Fixtures.randomVector(d, &rng)
            if d == 7 { vector = [-1, 1, 0.5, -0.5, 1 / 254, -1 / 254, 0] } // halves round away from zero
            let (codes, scale) = Quantizer.quantize(vector)
            var high = [UInt8](repeating: 0, count: (d + 1) / 2)
            var low = high
            XCTAssertEqual(pq_quantize_planes(vector, d, &high, &low), scale)
            for (i, code) in codes.enumerated() {
                let h = Int(i % 2 == 0 ? high[i / 2] & 15 : high[i / 2] >> 4) - 8
                let l = Int(i % 2 == 0 ? low[i / 2] & 15 : low[i / 2] >> 4)
                XCTAssertEqual(16 * h + l, Int(code), "d \(d), value \(i)")
            }
            if d % 2 == 1 { XCTAssertEqual(high.last! >> 4, 8, "the pad is a zero code") }
        }
    }

    /// Above `parallelThreshold` every core scans a slice; the merged result
    /// must be the exact one, with filters, duplicates (ties) and deletes.
    func testParallelScanWithFiltersTiesAndDeletesMatchesExactSearch() throws {
        let d = 24, n = VectorSearch.parallelThreshold + 4_000
        var rng = SeededGenerator(seed: 21)
        var rows: [UInt64: [Float]] = [:]
        let search = VectorSearch(dimension: d, reservingCapacity: 16)
        var batch: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)] = []
        for i in 0..<n {
            let id = UInt64(i * 3 + 1)
            // Every 100th row repeats an earlier one: equal scores, ties broken by id.
            let v = i % 100 == 99 ? rows[UInt64((i - 50) * 3 + 1)]! : unitVector(d, &rng)
            rows[id] = v
            batch.append((id, v, Int64(i)))
        }
        try search.upsert(batch)
        // Deletes and updates move rows around (the last row fills each hole).
        for i in stride(from: 0, to: n, by: 7) {
            let id = UInt64(i * 3 + 1)
            if i % 2 == 0 { search.remove(id: id); rows[id] = nil } else {
                let v = unitVector(d, &rng)
                try search.upsert(id: id, vector: v, mtimeNanoseconds: Int64(i))
                rows[id] = v
            }
        }
        for trial in 0..<6 {
            var query = unitVector(d, &rng)
            if trial == 0 { query = rows[UInt64(49 * 3 + 1)]! } // its duplicates tie at the top
            let k = [1, 10, 10, 50, 10, 100][trial]
            XCTAssertEqual(try search.search(query, k: k), exactTopK(rows, query, k: k), "trial \(trial)")
            let dates = SearchFilter(dateRange: 1000...30_000)
            XCTAssertEqual(try search.search(query, k: k, filter: dates),
                           exactTopK(rows, query, k: k) { (1000...30_000).contains(Int64(($0 - 1) / 3)) })
            let odd = SearchFilter(predicate: { $0 % 2 == 0 })
            XCTAssertEqual(try search.search(query, k: k, filter: odd), exactTopK(rows, query, k: k) { $0 % 2 == 0 })
            let few = Set(rows.keys.prefix(500))
            XCTAssertEqual(try search.search(query, k: k, filter: SearchFilter(allowedIDs: few)),
                           exactTopK(rows, query, k: k) { few.contains($0) })
        }
    }

    /// Through `PhotoIndex`, rescoring reads the Float32 vectors from LMDB:
    /// scores are exact, and photos removed or replaced are never returned stale.
    func testIndexRescoresWithStoredVectorsAcrossUpdatesAndDeletes() throws {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqquant")
        let d = 32
        let index = try Fixtures.openIndex(directory, dimension: d, featureDimension: 0, mapSize: 16 << 20)
        var rng = SeededGenerator(seed: 8)
        let stored = try index.upsert((0..<3000).map {
            PhotoRecord(path: "/p/\($0 % 10)/\($0).jpg", mtimeNanoseconds: Int64($0), modelID: Fixtures.model,
                        vector: unitVector(d, &rng))
        })
        var rows = Dictionary(uniqueKeysWithValues: stored.map { ($0.id, $0.vector) })
        try index.remove(paths: (0..<300).map { "/p/\($0 % 10)/\($0).jpg" })
        for record in stored.prefix(300) { rows[record.id] = nil }
        var changed = stored[300..<600].map { record -> PhotoRecord in
            var r = record
            r.vector = unitVector(d, &rng)
            return r
        }
        changed = try index.upsert(changed)
        for record in changed { rows[record.id] = record.vector }
        for _ in 0..<5 {
            let query = unitVector(d, &rng)
            XCTAssertEqual(try index.search.search(query, k: 10), exactTopK(rows, query, k: 10))
            let folder = try index.ids(inFolder: "/p/3")
            XCTAssertEqual(try index.search.search(query, k: 10, filter: SearchFilter(allowedIDs: folder)),
                           exactTopK(rows, query, k: 10) { folder.contains($0) })
        }
        XCTAssertEqual(index.search.vector(id: changed[0].id), changed[0].vector, "the exact vector, from LMDB")
        index.close()
    }

    func testFeaturesAreStoredInHalvesAndCheckedOnRead() throws {
        var rng = SeededGenerator(seed: 4)
        let feature = Fixtures.randomVector(1280, &rng).map { $0 * 6 } + [0, 65504, -65504, 1e-8]
        let bytes = FeatureCoding.encoded(feature)
        XCTAssertEqual(bytes.count, 1 + 4 + 2 * feature.count + 8, "one 4 KiB page for 1280 values")
        let decoded = try bytes.withUnsafeBytes { try FeatureCoding.decode($0) }
        XCTAssertEqual(decoded, feature.map { Float(Float16($0)) })
        for (x, y) in zip(feature.prefix(1280), decoded) { XCTAssertLessThanOrEqual(abs(x - y), abs(x) / 2048 + 1e-7) }
        var garbled = bytes
        garbled[100] ^= 4
        XCTAssertThrowsIndexError(try garbled.withUnsafeBytes { try FeatureCoding.decode($0) }, .corruptRecord)
        XCTAssertThrowsIndexError(try Array(bytes.dropLast()).withUnsafeBytes { try FeatureCoding.decode($0) }, .corruptRecord)

        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "pqhalf")
        let index = try Fixtures.openIndex(directory)
        var huge = Fixtures.record(path: "/p/huge.jpg", seed: 1)
        huge.feature[0] = 1e6
        XCTAssertThrowsIndexError(try index.upsert([huge]), .invalidArgument)
        index.close()
    }

    /// A source whose vectors now belong to another model (a search taken
    /// before a model switch, run after it): the int8 scores answer instead
    /// of nothing, in the exact order up to the quantisation's error.
    func testASupersededSourceFallsBackToTheInt8Scores() throws {
        final class Superseded: ExactVectorSource, @unchecked Sendable {
            func exactVectors(ids: [UInt64]) throws -> [[Float]?]? { nil }
        }
        var rng = SeededGenerator(seed: 21)
        let d = 48
        var rows: [UInt64: [Float]] = [:]
        let search = VectorSearch(dimension: d, exactVectors: Superseded())
        for id in UInt64(1)...300 {
            rows[id] = unitVector(d, &rng)
            try search.upsert(id: id, vector: rows[id]!, mtimeNanoseconds: 0)
        }
        for _ in 0..<5 {
            let query = unitVector(d, &rng)
            let hits = try search.search(query, k: 10)
            let exact = exactTopK(rows, query, k: 10)
            XCTAssertEqual(hits.count, 10)
            for hit in hits {
                // 4+4-bit rows and an int8 query: a unit dot product is off by a few hundredths at most.
                XCTAssertEqual(hit.score, VectorSearch.dot(query, rows[hit.id]!), accuracy: 0.05)
            }
            XCTAssertGreaterThanOrEqual(Set(hits.map(\.id)).intersection(exact.map(\.id)).count, 8)
        }
    }
}
