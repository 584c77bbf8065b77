import Model
import Training
import XCTest

/// Batch sampling, joint-space neighbours and the identification protocol of
/// the LSTM scorer's training and evaluation.
final class ScorerTrainingDataTests: XCTestCase {
    private func query(_ length: Int) -> EncodedQuery {
        EncodedQuery(tokens: (0..<length).map { "w\($0)" }, vectors: [Float](repeating: 0.5, count: length * 2),
                     isOOV: [Bool](repeating: false, count: length), dimension: 2)
    }

    /// 6 photos (feature = its index), 2 captions each of lengths 1…6, one empty caption.
    private func data(withNeighbours: Bool) -> ScorerTrainingData {
        let owners = (0..<6).flatMap { [$0, $0] } + [0]
        let queries = (0..<12).map { query($0 / 2 + 1) } + [query(0)]
        let neighbours = owners.map { own in [(own + 1) % 6, (own + 2) % 6] }
        return ScorerTrainingData(features: (0..<6).flatMap { [Float($0), 1] }, featureWidth: 2, queries: queries,
                                  photoOfCaption: owners, hardNegatives: withNeighbours ? neighbours : [])
    }

    func testNearestPhotosMatchesBruteForce() {
        var rng = SeededGenerator(seed: 3)
        let (m, n, d) = (700, 40, 5)  // more queries than one 512-row block
        let queries = (0..<(m * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        let photos = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &rng) }
        let owners = (0..<m).map { $0 % n }
        let nearest = nearestPhotos(queries: queries, photos: photos, dimension: d, ownPhoto: owners, count: 4)
        for q in [0, 1, 511, 512, 699] {
            let scores = (0..<n).map { p in (0..<d).reduce(Float(0)) { $0 + queries[q * d + $1] * photos[p * d + $1] } }
            let expected = (0..<n).filter { $0 != owners[q] }.sorted { scores[$0] > scores[$1] }.prefix(4)
            XCTAssertEqual(nearest[q], Array(expected), "query \(q)")
        }
    }

    func testBatchesAreHalfMatchedWithValidNegatives() {
        let data = data(withNeighbours: true)
        XCTAssertFalse(data.usableCaptions.contains(12), "an empty caption cannot be a sequence")
        var options = ScorerTrainingOptions()
        options.batchSize = 64
        options.hardNegativeFraction = 1
        var trainer = ScorerTrainer(parameters: ScorerParameters(shape: ScorerShape(featureSize: 2, wordDimension: 2, hiddenSize: 3), seed: 1),
                                    options: options)
        let pairs = trainer.sampleBatch(data)
        XCTAssertEqual(pairs.labels.count, 64)
        XCTAssertEqual(pairs.labels.filter { $0 == 1 }.count, 32)
        let lengths = pairs.captions.map { data.queries[$0].count }
        XCTAssertEqual(lengths, lengths.sorted(by: >), "longest captions first")
        for (k, label) in pairs.labels.enumerated() {
            let own = data.photoOfCaption[pairs.captions[k]]
            if label == 1 { XCTAssertEqual(pairs.photos[k], own) } else {
                XCTAssertTrue(data.hardNegatives[pairs.captions[k]].contains(pairs.photos[k]), "hard fraction 1 draws neighbours")
            }
        }
    }

    func testIdentificationTrialsAndAccuracy() throws {
        let plain = data(withNeighbours: false)
        XCTAssertNil(identificationTrials(plain, hard: true, seed: 1), "no neighbours, no hard trials")
        let random = try XCTUnwrap(identificationTrials(plain, hard: false, seed: 1))
        XCTAssertEqual(random.count, 12)
        XCTAssertTrue(random.allSatisfy { $0.distractor != $0.photo && $0.photo == plain.photoOfCaption[$0.caption] })
        let hard = try XCTUnwrap(identificationTrials(data(withNeighbours: true), hard: true, hardPool: 1, seed: 1))
        XCTAssertTrue(hard.allSatisfy { $0.distractor == ($0.photo + 1) % 6 })
        // Right when the photo scores higher, half a point for a tie.
        let accuracy = identificationAccuracy(Array(hard.prefix(4))) { t in
            (Float(t.caption % 3), 1)  // captions 0,1,2,3 → 0 (wrong), 1 (tie), 2 (right), 0 (wrong)
        }
        XCTAssertEqual(accuracy, 1.5 / 4, accuracy: 1e-12)
    }

    func testRestrictionRenumbersPhotos() {
        let data = data(withNeighbours: true)
        let subset = data.restricted(toPhotos: [4, 1])
        XCTAssertEqual(subset.photoCount, 2)
        XCTAssertEqual(subset.feature(0), [4, 1])
        XCTAssertEqual(subset.photoOfCaption, [1, 1, 0, 0])
        XCTAssertTrue(subset.hardNegatives.allSatisfy { $0.allSatisfy { (0..<2).contains($0) } })
    }
}
