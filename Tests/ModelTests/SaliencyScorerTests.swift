import XCTest
@testable import Model

/// EB and the gradient through the real scorer code path: the LSTM, then the
/// image projection x₀ = P·f + b_p into the backbone features.
final class SaliencyScorerTests: XCTestCase {
    private let shape = ScorerShape(featureSize: 12, wordDimension: 5, hiddenSize: 7)

    private func setUp(seed: UInt64) throws -> (ScorerParameters, ScorerSequenceTrace, [Float], EncodedQuery) {
        let parameters = ScorerParameters(shape: shape, seed: seed)
        var random = ExcitationTestRandom(seed: seed)
        let f = random.values(shape.featureSize, 0, 2)  // pooled ReLU6 features are ≥ 0
        let query = EncodedQuery(tokens: ["a", "b", "c"], vectors: random.values(3 * shape.wordDimension, -1, 1),
                                 isOOV: [false, false, false], dimension: shape.wordDimension)
        let act = try parameters.forward(ScorerBatch(features: [f], queries: [query]))
        return (parameters, act.trace(0), f, query)
    }

    /// The initial cell-input and projection biases are zero, so nothing is
    /// dropped: the step shares sum to 1 and the image's share all reaches f.
    func testSharesAreConservedIntoTheFeatures() throws {
        var checked = 0
        for seed: UInt64 in [1, 2, 3] {
            let (parameters, trace, f, _) = try setUp(seed: seed)
            XCTAssertTrue(parameters.gateBias[(2 * shape.hiddenSize)..<(3 * shape.hiddenSize)].allSatisfy { $0 == 0 })
            for negated in [false, true] {
                let signal = try Excitation.scorer(parameters, trace: trace, features: f, negatedTop: negated)
                guard signal.stepScores.reduce(0, +) > 0 else { continue }  // no winning hidden unit
                XCTAssertEqual(signal.stepScores.count, 4)
                XCTAssertEqual(signal.stepScores.reduce(0, +), 1, accuracy: 1e-5, "seed \(seed)")
                XCTAssertEqual(signal.features.reduce(0, +), signal.stepScores[0], accuracy: 1e-5, "seed \(seed)")
                XCTAssertFalse(signal.features.contains { $0 < 0 })
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 2)
    }

    /// ∂logit/∂f against central differences of the scorer's own forward pass.
    func testGradientMatchesFiniteDifferences() throws {
        let (parameters, trace, f, query) = try setUp(seed: 4)
        let gradient = try Excitation.scorer(parameters, trace: trace, features: f, method: .gradient).features
        func logit(_ features: [Float]) throws -> Float {
            try parameters.forward(ScorerBatch(features: [features], queries: [query])).logits[0]
        }
        let step: Float = 1e-2
        for j in 0..<shape.featureSize {
            var up = f, down = f
            up[j] += step
            down[j] -= step
            let numeric = try (logit(up) - logit(down)) / (2 * step)
            XCTAssertEqual(gradient[j], numeric, accuracy: 2e-3 + 0.02 * abs(numeric), "feature \(j)")
        }
    }
}
