import XCTest
import Model
@testable import Training

/// The cutoff's calibration against brute-force counts on small sets.
final class RelevanceCutoffCalibrationTests: XCTestCase {
    func testThresholdKeepsTheAskedShare() throws {
        let scores = (1...100).map { Float($0) / 100 }.shuffled()
        // Keeping 95% of 100 drops the five lowest: 0.01 … 0.05.
        XCTAssertEqual(try XCTUnwrap(RelevanceCutoff.threshold(keeping: 0.95, of: scores)), 0.06, accuracy: 1e-6)
        XCTAssertEqual(try XCTUnwrap(RelevanceCutoff.threshold(keeping: 1, of: scores)), 0.01, accuracy: 1e-6)
        XCTAssertNil(RelevanceCutoff.threshold(keeping: 0.9, of: []))
        for keep in [0.5, 0.8, 0.95, 0.99] {
            let t = try XCTUnwrap(RelevanceCutoff.threshold(keeping: keep, of: scores))
            XCTAssertGreaterThanOrEqual(Double(scores.filter { $0 >= t }.count) / 100, keep, "keep \(keep)")
        }
    }

    /// Random unit vectors: the top-10 scores of own and relevant photos,
    /// and the count below a threshold, equal a sort-everything count.
    func testTopTenPopulationsMatchBruteForce() {
        var generator = SplitMix64(seed: 11)
        let d = 6, p = 40, q = 25
        func rows(_ n: Int) -> [Float] {
            var v = (0..<(n * d)).map { _ in generator.uniform() }
            for r in 0..<n {
                let norm = (0..<d).reduce(Float(0)) { $0 + v[r * d + $1] * v[r * d + $1] }.squareRoot()
                for j in 0..<d { v[r * d + j] /= norm }
            }
            return v
        }
        let photos = rows(p), queries = rows(q)
        let own = (0..<q).map { $0 % p }
        let relevant = (0..<q).map { Set([($0 * 7) % p, ($0 * 3 + 1) % p, ($0 + 5) % p]) }
        func score(_ i: Int, _ j: Int) -> Float { (0..<d).reduce(Float(0)) { $0 + queries[i * d + $1] * photos[j * d + $1] } }
        func ranked(_ i: Int) -> [Int] { (0..<p).sorted { score(i, $0) > score(i, $1) } }
        var expectedOwn: [Float] = [], expectedRelevant: [Float] = [], expectedRemoved: [Int] = []
        for i in 0..<q {
            let top = Array(ranked(i).prefix(10))
            if top.contains(own[i]) { expectedOwn.append(score(i, own[i])) }
            for j in top where relevant[i].contains(j) { expectedRelevant.append(score(i, j)) }
            expectedRemoved.append(top.filter { score(i, $0) < 0.3 }.count)
        }
        let gotOwn = RelevanceCutoff.trueMatchScoresInTop10(queries: queries, photos: photos, dimension: d, photoOfQuery: own)
        let gotRelevant = RelevanceCutoff.relevantScoresInTop10(queries: queries, photos: photos, dimension: d, relevant: relevant)
        XCTAssertEqual(gotOwn.count, expectedOwn.count)
        XCTAssertGreaterThan(expectedOwn.count, 0)
        for (a, b) in zip(gotOwn, expectedOwn) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(gotRelevant.sorted().count, expectedRelevant.count)
        for (a, b) in zip(gotRelevant.sorted(), expectedRelevant.sorted()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(RelevanceCutoff.removedFromTop(10, queries: queries, photos: photos, dimension: d, threshold: 0.3),
                       expectedRemoved)
    }

    func testWordQueriesComeFromContentWordsOfEnoughPhotos() {
        let captions = [
            ["A dog runs on the beach.", "The dog is wet"],
            ["Two dogs and a ball", "a dog with a ball"],
            ["A cat sleeps", "the cat and the ball"],
        ]
        let words = WordQueries.make(captionsOfPhoto: captions, minimumPhotos: 2)
        XCTAssertEqual(words.map(\.word), ["ball", "dog"], "stop words, short words and rare words are left out")
        XCTAssertEqual(words.first { $0.word == "ball" }?.photos, [1, 2])
        XCTAssertEqual(words.first { $0.word == "dog" }?.photos, [0, 1])
    }

    func testNonsenseQueriesAreRepeatableLetters() {
        let a = NonsenseQueries.make(count: 30, seed: 4), b = NonsenseQueries.make(count: 30, seed: 4)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 30)
        XCTAssertTrue(a.allSatisfy { $0.allSatisfy { $0.isLetter || $0 == " " || $0 == ";" } })
        XCTAssertNotEqual(NonsenseQueries.make(count: 30, seed: 5), a)
    }
}
