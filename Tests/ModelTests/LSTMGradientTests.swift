import Model
import TestSupport
import XCTest

/// BPTT gradients of the ReLU-LSTM scorer against central finite differences
/// of the binary cross-entropy loss, for every parameter tensor.
final class LSTMGradientTests: XCTestCase {
    let shape = ScorerShape(featureSize: 7, wordDimension: 5, hiddenSize: 4)

    func testGradientsMixedLengthsWithOOV() throws {
        try checkGradients(lengths: [1, 3, 5], oov: [[0], [], [1, 4]], labels: [1, 0, 1], seed: 21)
    }

    /// Longest first, as training batches are: later steps run on a prefix of the rows.
    func testGradientsSortedByDecreasingLength() throws {
        try checkGradients(lengths: [6, 4, 4, 2, 1], oov: [[], [3], [], [0], []], labels: [1, 0, 0, 1, 1], seed: 25)
    }

    func testGradientsSingleWordQuery() throws {
        try checkGradients(lengths: [1], oov: [[]], labels: [1], seed: 22, skipOOV: true)
    }

    func testGradientsSingleOOVWord() throws {
        try checkGradients(lengths: [1, 1], oov: [[0], [0]], labels: [0, 1], seed: 23)
    }

    func testGradientsLongSequences() throws {
        // Forget gates biased open so early steps still reach the score
        // measurably in Float (otherwise their gradients fall below rounding).
        try checkGradients(lengths: [8, 6], oov: [[2], []], labels: [0, 1], seed: 24, forgetBias: 3)
    }

    private func checkGradients(lengths: [Int], oov: [Set<Int>], labels: [Float], seed: UInt64,
                                skipOOV: Bool = false, forgetBias: Float? = nil) throws {
        var random = ScorerTestRandom(seed: seed)
        var parameters = random.parameters(shape, scale: 0.8)
        let h = shape.hiddenSize
        if let forgetBias { for j in h..<(2 * h) { parameters.gateBias[j] = forgetBias } }
        let features = lengths.map { _ in random.values(shape.featureSize) }
        let queries = zip(lengths, oov).map { random.query(length: $0, dimension: shape.wordDimension, oov: $1) }
        let batch = try ScorerBatch(features: features, queries: queries)

        func loss(_ p: ScorerParameters) throws -> Double {
            Double(binaryCrossEntropyWithLogits(try p.forward(batch).logits, labels: labels).loss)
        }
        let act = try parameters.forward(batch)
        let (_, dLogits) = binaryCrossEntropyWithLogits(act.logits, labels: labels)
        let analytic = parameters.backward(batch, act, dLogits: dLogits).tensors

        let epsilon: Float = 3e-3  // large enough to beat Float rounding of the loss, small next to ReLU kinks
        for (index, name) in ScorerParameters.names.enumerated() {
            if name == "oov" && skipOOV {
                XCTAssertTrue(analytic[index].allSatisfy { $0 == 0 }, "OOV gradient without OOV words")
                continue
            }
            // Up to 40 entries per tensor, chosen at random.
            let count = parameters.tensors[index].count
            let entries = count <= 40 ? Array(0..<count) : (0..<40).map { _ in Int(random.next() % UInt64(count)) }
            var numeric: [Double] = [], exact: [Double] = []
            for entry in entries {
                var plus = parameters, minus = parameters
                plus.tensors[index][entry] += epsilon
                minus.tensors[index][entry] -= epsilon
                let plusValue = plus.tensors[index][entry], minusValue = minus.tensors[index][entry]
                numeric.append((try loss(plus) - loss(minus)) / Double(plusValue - minusValue))
                exact.append(Double(analytic[index][entry]))
            }
            let difference = zip(numeric, exact).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let scale = max(numeric.map { $0 * $0 }.reduce(0, +).squareRoot(), exact.map { $0 * $0 }.reduce(0, +).squareRoot())
            XCTAssertGreaterThan(scale, 1e-4, "\(name): gradient vanishes, the check would be empty")
            XCTAssertLessThan(difference / max(scale, 1e-12), 1e-2, "\(name): BPTT \(exact.prefix(4)) vs numeric \(numeric.prefix(4))")
        }
    }
}
