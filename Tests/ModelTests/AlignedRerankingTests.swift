import XCTest
@testable import Model
import ModelFormat

/// The daemon's reranking from stored int8 cells against the float path
/// training and evaluation use (cells rebuilt in D dimensions, then
/// `WordAlignmentInputs` and the region–word alignment by hand).
final class AlignedRerankingTests: XCTestCase {
    private var random = SplitMix64(seed: 5)

    private func unitRows(_ rows: Int, _ d: Int) -> [Float] {
        (0..<rows).flatMap { _ in normalizedL2((0..<d).map { _ in random.uniform(-1, 1) }) }
    }

    func testStoredCellsGiveTheRoundTripsSimilarities() {
        let (d, r, cells, pieces) = (12, 6, 7, 4)
        let basis = CellBasis.fit(rows: unitRows(200, d), dimension: d, rank: r)
        let x = unitRows(cells, d), t = unitRows(pieces, d)
        let (scales, coordinates) = basis.quantize(x)
        XCTAssertTrue(coordinates.allSatisfy { $0 >= -127 && $0 <= 127 })
        for c in 0..<cells {
            XCTAssertEqual(coordinates[(c * r)..<((c + 1) * r)].map { abs(Int($0)) }.max(), 127, "each cell's largest coordinate uses the full range")
        }
        let rebuilt = basis.roundTrip(x, int8: true)
        let projected = basis.project(t)
        for p in 0..<pieces {
            for c in 0..<cells {
                var stored: Float = 0
                for k in 0..<r { stored += Float(coordinates[c * r + k]) * projected[p * r + k] }
                stored *= scales[c]
                var float: Float = 0
                for j in 0..<d { float += t[p * d + j] * rebuilt[c * d + j] }
                XCTAssertEqual(stored, float, accuracy: 1e-5)
            }
        }
        // A zero cell is stored as zeros, not NaN.
        let zero = basis.quantize([Float](repeating: 0, count: d))
        XCTAssertEqual(zero.scales, [0])
        XCTAssertEqual(zero.coordinates, [Int8](repeating: 0, count: r))
    }

    func testCombinedScoresMatchTheFloatPath() throws {
        let (d, r, cells, f, e) = (10, 8, 5, 6, 3)
        let basis = CellBasis.fit(rows: unitRows(100, d), dimension: d, rank: r)
        let scorer = ScorerParameters(shape: ScorerShape(featureSize: f, wordDimension: e + WordAlignmentInputs.count, hiddenSize: 4), seed: 3)
        let tokens = ["a", "dog", "runs", "fast"]
        let words = EncodedQuery(tokens: tokens, vectors: (0..<(tokens.count * e)).map { _ in random.uniform(-1, 1) },
                                 isOOV: [false, false, true, false], dimension: e)
        // "runs" spelled by two pieces, "fast" by none.
        let ranges: [Range<Int>?] = [0..<1, 1..<2, 2..<4, nil]
        let pieces = unitRows(4, d)
        let query = AlignedQuery(words: words, ranges: ranges, pieces: pieces, basis: basis)
        let policy = ScorerRerankPolicy(enabled: true, topK: 3, jointWeight: 7, alignmentWeight: 3)
        var candidates: [AlignedCandidate] = []
        var expected: [Float] = []
        for _ in 0..<3 {
            let grid = unitRows(cells, d), photo = unitRows(1, d)
            let feature = (0..<f).map { _ in random.uniform(-1, 1) }
            let joint = random.uniform(-1, 1)
            let stored = basis.quantize(grid)
            candidates.append(AlignedCandidate(feature: feature, photo: photo, cellScales: stored.scales,
                                               cellCoordinates: stored.coordinates, jointScore: joint))
            // The float path: the cells as the index gives them back, in D dimensions.
            let rebuilt = basis.roundTrip(grid, int8: true)
            let values = pieces.withUnsafeBufferPointer { t in
                rebuilt.withUnsafeBufferPointer { c in
                    photo.withUnsafeBufferPointer { ph in
                        WordAlignmentInputs.values(ranges: ranges, pieces: t.baseAddress!, pieceCount: 4, cells: c.baseAddress!,
                                                   cellCount: cells, photo: ph.baseAddress!, dimension: d)
                    }
                }
            }
            let logit = try feature.withUnsafeBufferPointer {
                try scorer.score(words.appending(values, width: WordAlignmentInputs.count), features: $0.baseAddress!, count: 1)[0]
            }
            var alignment: Float = 0
            for p in 0..<4 {
                alignment += (0..<cells).map { c in (0..<d).reduce(Float(0)) { $0 + pieces[p * d + $1] * rebuilt[c * d + $1] } }.max()!
            }
            expected.append(logit + 7 * joint + 3 * alignment / 4)
        }
        let combined = try scorer.alignedScores(query, candidates: candidates, rank: r, policy: policy)
        XCTAssertEqual(combined.count, 3)
        for (a, b) in zip(combined, expected) { XCTAssertEqual(a, b, accuracy: 1e-4) }

        // A candidate whose stored cells do not fit the basis is refused, not read out of bounds.
        var bad = candidates[0]
        bad.cellCoordinates.removeLast()
        XCTAssertThrowsError(try scorer.alignedScores(query, candidates: [bad], rank: r, policy: policy))
    }

    func testTheBasisTravelsInTheScorerFile() throws {
        let basis = CellBasis.fit(rows: unitRows(50, 6), dimension: 6, rank: 3)
        let path = NSTemporaryDirectory() + "/pq-basis-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let scorer = ScorerParameters(shape: ScorerShape(featureSize: 4, wordDimension: 5, hiddenSize: 2), seed: 1)
        try scorer.save(to: path, modelID: "t", vocabularyID: "v", extraMetadata: basis.metadata,
                        extraTensors: [(CellBasis.tensorName, [basis.rank, basis.dimension], basis.basis)])
        let loaded = try XCTUnwrap(try CellBasis(weights: WeightFile(path: path)))
        XCTAssertEqual(loaded.basis, basis.basis)
        XCTAssertEqual(loaded.rank, 3)
        XCTAssertEqual(try ScorerParameters.load(from: path).parameters, scorer, "the extra tensor leaves the weights alone")
        try scorer.save(to: path, modelID: "t", vocabularyID: "v")
        XCTAssertNil(try CellBasis(weights: WeightFile(path: path)), "a scorer without a basis has none")
    }
}
