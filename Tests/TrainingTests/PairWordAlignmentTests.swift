import Model
import Training
import XCTest

/// Region–word alignment as the scorer's extra word inputs: the score
/// against a brute-force computation, restriction to a subset, and a scorer
/// that can tell photos apart only through those inputs learning to.
final class PairWordAlignmentTests: XCTestCase {
    /// Unit rows of (rows, d) from a seed.
    private func unitRows(_ rows: Int, _ d: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        var out = (0..<(rows * d)).map { _ in random.uniform(-1, 1) }
        for r in 0..<rows {
            let norm = (0..<d).reduce(Float(0)) { $0 + out[r * d + $1] * out[r * d + $1] }.squareRoot()
            for j in 0..<d { out[r * d + j] /= norm }
        }
        return out
    }

    func testAlignmentScoreIsTheMeanOverTokensOfTheBestCell() {
        let (d, r) = (5, 3)
        let cells = unitRows(2 * r, d, seed: 1)
        let tokens = [unitRows(4, d, seed: 2), [], unitRows(1, d, seed: 3)]
        let alignment = RegionWordAlignment(cells: cells, cellsPerPhoto: r, tokens: tokens, dimension: d)
        for photo in 0..<2 {
            for caption in tokens.indices {
                let n = tokens[caption].count / d
                var expected: Float = 0
                for t in 0..<n {
                    expected += (0..<r).map { c in
                        (0..<d).reduce(Float(0)) { $0 + tokens[caption][t * d + $1] * cells[(photo * r + c) * d + $1] }
                    }.max()!
                }
                expected = n > 0 ? expected / Float(n) : 0
                XCTAssertEqual(alignment.score(photo: photo, caption: caption), expected, accuracy: 1e-5)
            }
        }
    }

    func testRestrictedViewAppendsTheSameValues() {
        let (d, r) = (4, 2)
        let alignment = RegionWordAlignment(cells: unitRows(3 * r, d, seed: 4), cellsPerPhoto: r,
                                            tokens: [unitRows(2, d, seed: 5), unitRows(3, d, seed: 6)], dimension: d)
        let pairs = PairWordAlignment(alignment: alignment, ranges: [[0..<1, 1..<2], [0..<3]],
                                      photoEmbeddings: unitRows(3, d, seed: 7))
        let queries = [EncodedQuery(tokens: ["a", "b"], vectors: [1, 2, 3, 4], isOOV: [false, false], dimension: 2),
                       EncodedQuery(tokens: ["c"], vectors: [5, 6], isOOV: [false], dimension: 2)]
        let view = pairs.restricted(photos: [2, 0], captions: [1])
        XCTAssertEqual(view.query(queries[1], caption: 0, photo: 0), pairs.query(queries[1], caption: 1, photo: 2))
        XCTAssertEqual(view.query(queries[1], caption: 0, photo: 1), pairs.query(queries[1], caption: 1, photo: 0))
        XCTAssertNotEqual(pairs.query(queries[1], caption: 1, photo: 2), pairs.query(queries[1], caption: 1, photo: 0))
    }

    /// Every photo has the same backbone feature and every caption the same
    /// words, so only the alignment inputs say which photo is whose.
    func testScorerLearnsFromAlignmentAlone() throws {
        let (d, r, photos) = (8, 2, 6)
        let concepts = unitRows(photos, d, seed: 8)
        // Photo p shows concept p in its first cell; caption p names concept p.
        var cells = [Float]()
        let clutter = unitRows(photos, d, seed: 9)
        for p in 0..<photos {
            cells += concepts[(p * d)..<((p + 1) * d)]
            cells += clutter[(p * d)..<((p + 1) * d)]
        }
        let tokens = (0..<photos).map { Array(concepts[($0 * d)..<(($0 + 1) * d)]) }
        let alignment = RegionWordAlignment(cells: cells, cellsPerPhoto: r, tokens: tokens, dimension: d)
        let word = EncodedQuery(tokens: ["thing"], vectors: [0.5, -0.5], isOOV: [false], dimension: 2)
        var data = ScorerTrainingData(features: [Float](repeating: 0.3, count: photos * 3), featureWidth: 3,
                                      queries: Array(repeating: word, count: photos), photoOfCaption: Array(0..<photos))
        data.pairAlignment = PairWordAlignment(alignment: alignment, ranges: Array(repeating: [0..<1], count: photos),
                                               photoEmbeddings: Array(repeating: 0, count: photos * d))
        XCTAssertEqual(data.wordInputWidth, 2 + WordAlignmentInputs.count)
        var options = ScorerTrainingOptions()
        options.batchSize = 32
        options.learningRate = 1e-2
        let shape = ScorerShape(featureSize: 3, wordDimension: data.wordInputWidth, hiddenSize: 8)
        var trainer = ScorerTrainer(parameters: ScorerParameters(shape: shape, seed: 2), options: options)
        for _ in 0..<300 { try trainer.step(data) }
        for caption in 0..<photos {
            let logits = try data.logits(trainer.parameters, caption: caption, photos: Array(0..<photos))
            XCTAssertEqual(logits.indices.max { logits[$0] < logits[$1] }, caption, "caption \(caption): \(logits)")
        }
    }

    /// A large alignment weight in the reranking policy lets S decide: each
    /// caption's own photo (its concept in a cell) comes first, whatever an
    /// untrained LSTM says.
    func testRerankingWithAlignmentWeightRanksByAlignment() throws {
        let (d, r, photos) = (8, 2, 5)
        let concepts = unitRows(photos, d, seed: 10), clutter = unitRows(photos, d, seed: 11)
        var cells = [Float]()
        for p in 0..<photos {
            cells += clutter[(p * d)..<((p + 1) * d)]
            cells += concepts[(p * d)..<((p + 1) * d)]
        }
        let tokens = (0..<photos).map { Array(concepts[($0 * d)..<(($0 + 1) * d)]) }
        let word = EncodedQuery(tokens: ["thing"], vectors: [0.5, -0.5], isOOV: [false], dimension: 2)
        var data = ScorerTrainingData(features: [Float](repeating: 0.3, count: photos * 3), featureWidth: 3,
                                      queries: Array(repeating: word, count: photos), photoOfCaption: Array(0..<photos))
        let embeddings = unitRows(photos, d, seed: 12)
        data.pairAlignment = PairWordAlignment(
            alignment: RegionWordAlignment(cells: cells, cellsPerPhoto: r, tokens: tokens, dimension: d),
            ranges: Array(repeating: [0..<1], count: photos), photoEmbeddings: embeddings)
        let scorer = ScorerParameters(shape: ScorerShape(featureSize: 3, wordDimension: data.wordInputWidth, hiddenSize: 4), seed: 3)
        let captions = unitRows(photos, d, seed: 13)
        let plain = try rerankedRanks(data, parameters: scorer, photoEmbeddings: embeddings, captionEmbeddings: captions,
                                      dimension: d, topK: photos, weights: [0])
        let aligned = try rerankedRanks(data, parameters: scorer, photoEmbeddings: embeddings, captionEmbeddings: captions,
                                        dimension: d, topK: photos, weights: [0], alignmentWeight: 1e4)
        XCTAssertEqual(aligned.reranked[0], Array(repeating: 1, count: photos))
        XCTAssertEqual(aligned.joint, plain.joint, "the first stage does not change")
        XCTAssertNotEqual(plain.reranked[0], aligned.reranked[0], "without the weight the untrained LSTM decides")
    }
}
