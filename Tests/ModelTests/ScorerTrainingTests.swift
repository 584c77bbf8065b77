import Model
import XCTest

/// A tiny Adam run must drive the scorer's loss on a handful of matched and
/// mismatched (photo, query) pairs to near zero: forward, BPTT and the
/// optimiser wiring all have to be right for that.
final class ScorerTrainingTests: XCTestCase {
    func testOverfitsHandfulOfPairs() throws {
        let shape = ScorerShape(featureSize: 16, wordDimension: 8, hiddenSize: 16)
        var random = ScorerTestRandom(seed: 7)
        var parameters = ScorerParameters(shape: shape, seed: 7)
        let photos = (0..<4).map { _ in random.values(shape.featureSize) }
        let queries = [
            random.query(length: 3, dimension: 8), random.query(length: 1, dimension: 8, oov: [0]),
            random.query(length: 5, dimension: 8, oov: [2]), random.query(length: 2, dimension: 8),
        ]
        // Each photo with its own query (1) and with the next photo's (0).
        var features: [[Float]] = [], pairedQueries: [EncodedQuery] = [], labels: [Float] = []
        for k in 0..<4 {
            features += [photos[k], photos[k]]
            pairedQueries += [queries[k], queries[(k + 1) % 4]]
            labels += [1, 0]
        }
        let batch = try ScorerBatch(features: features, queries: pairedQueries)
        var optimisers = parameters.tensors.map { Adam(count: $0.count, learningRate: 1e-2) }

        let initialLoss = binaryCrossEntropyWithLogits(try parameters.forward(batch).logits, labels: labels).loss
        var loss = initialLoss
        for _ in 0..<400 {
            let act = try parameters.forward(batch)
            let (value, dLogits) = binaryCrossEntropyWithLogits(act.logits, labels: labels)
            loss = value
            var gradients = parameters.backward(batch, act, dLogits: dLogits).tensors
            clipGradients(&gradients, maxNorm: 5)
            var tensors = parameters.tensors
            for i in tensors.indices { optimisers[i].update(&tensors[i], gradients: gradients[i]) }
            parameters.tensors = tensors
        }
        XCTAssertGreaterThan(initialLoss, 0.5)
        XCTAssertLessThan(loss, 0.02, "loss went from \(initialLoss) to \(loss)")
        let scores = try parameters.forward(batch).scores
        for (score, label) in zip(scores, labels) { XCTAssertEqual(score, label, accuracy: 0.1) }
    }
}
