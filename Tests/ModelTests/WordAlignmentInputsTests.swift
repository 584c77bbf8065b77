import Model
import XCTest

/// The scorer's region–word alignment inputs: GloVe words matched to the
/// WordPiece tokens that spell them, and each word's values against a
/// brute-force computation.
final class WordAlignmentInputsTests: XCTestCase {
    func testGloVeWordsFindTheirPieces() {
        // "A dog's bicycle isn't red": GloVe splits clitics, WordPiece splits
        // punctuation and long words.
        let words = ["a", "dog", "'s", "bicycle", "is", "n't", "red"]
        let pieces = ["a", "dog", "'", "s", "bi", "##cycle", "isn", "'", "t", "red"]
        let ranges = WordAlignmentInputs.pieceRanges(words: words, pieces: pieces)
        XCTAssertEqual(ranges, [0..<1, 1..<2, 2..<4, 4..<6, nil, nil, 9..<10])
    }

    func testUnknownPiecesLeaveTheWordUnmatchedAndTheRestAligned() {
        let ranges = WordAlignmentInputs.pieceRanges(words: ["the", "zyx", "cat"], pieces: ["the", "[UNK]", "cat"])
        XCTAssertEqual(ranges, [0..<1, nil, 2..<3])
        XCTAssertEqual(WordAlignmentInputs.pieceRanges(words: ["cat"], pieces: []), [nil])
    }

    func testValuesAreEachWordsBestCellAndPhotoSimilarity() {
        var random = ScorerTestRandom(seed: 3)
        let (d, r, p) = (6, 5, 4)
        let theta = random.values(p * d), cells = random.values(r * d), photo = random.values(d)
        let ranges: [Range<Int>?] = [0..<1, 1..<3, nil, 3..<4]
        let values = WordAlignmentInputs.values(ranges: ranges, pieces: theta, pieceCount: p, cells: cells,
                                                cellCount: r, photo: photo, dimension: d)
        func dot(_ a: [Float], _ i: Int, _ b: [Float], _ j: Int) -> Float {
            (0..<d).reduce(0) { $0 + a[i * d + $1] * b[j * d + $1] }
        }
        XCTAssertEqual(values.count, ranges.count * WordAlignmentInputs.count)
        for (t, range) in ranges.enumerated() {
            guard let range else {
                XCTAssertEqual(values[(2 * t)..<(2 * t + 2)], [0, 0])
                continue
            }
            let best = range.map { piece in (0..<r).map { dot(theta, piece, cells, $0) }.max()! }.max()!
            let whole = range.map { dot(theta, $0, photo, 0) }.max()!
            XCTAssertEqual(values[2 * t], best * WordAlignmentInputs.scale, accuracy: 1e-5)
            XCTAssertEqual(values[2 * t + 1], whole * WordAlignmentInputs.scale, accuracy: 1e-5)
        }
    }

    func testAppendingKeepsTheWordsAndAddsTheValues() {
        let query = EncodedQuery(tokens: ["a", "b"], vectors: [1, 2, 3, 4, 5, 6], isOOV: [false, true], dimension: 3)
        let widened = query.appending([7, 8, 9, 10], width: 2)
        XCTAssertEqual(widened.dimension, 5)
        XCTAssertEqual(widened.vectors, [1, 2, 3, 7, 8, 4, 5, 6, 9, 10])
        XCTAssertEqual(widened.isOOV, query.isOOV)
    }
}
