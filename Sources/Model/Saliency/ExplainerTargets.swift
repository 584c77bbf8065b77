import Foundation

// The top of each explanation: the signal a target puts on the pooled
// backbone features f, its score, and the words' shares.

extension Explainer {
    struct TopSignal {
        var features: [Float]
        var words: [String] = []
        var wordScores: [Float] = []
        var imageShare: Float?
        var score: Float
    }

    /// The signal on the pooled features for the target, as a function of
    /// (method, negated top weights).
    func topSignal(query: String, features f: [Float], logits: [Float],
                           classifier: [Float]) -> (Excitation.Method, Bool) throws -> TopSignal {
        switch target {
        case let .scorer(parameters, vectors):
            return { method, negated in
                let encoded = vectors.encode(query)
                guard encoded.count > 0 else { throw SaliencyError(.emptyInput, "the query has no words") }
                let act = try parameters.forward(ScorerBatch(features: [f], queries: [encoded]))
                let trace = act.trace(0)
                let signal = try Excitation.scorer(parameters, trace: trace, features: f, method: method, negatedTop: negated)
                let steps = signal.stepScores
                return TopSignal(features: signal.features, words: steps.isEmpty ? [] : encoded.tokens,
                                 wordScores: Array(steps.dropFirst()), imageShare: steps.first,
                                 score: sigmoid(trace.logit))
            }
        case let .joint(model, encoder):
            return { method, negated in
                let theta = model.embedText(sentenceEmbedding: encoder.encode(query))
                let phi = model.embedImage(feature: f, logits: logits)
                let score = zip(theta, phi).reduce(0) { $0 + $1.0 * $1.1 }
                let signal = try Excitation.joint(model, query: theta, features: f, logits: logits,
                                                  classifier: classifier, method: method, negatedTop: negated)
                let words = QueryTokenizer.tokenize(query)
                let shares = Self.leaveOneOutShares(words, score: score) { rest in
                    zip(model.embedText(sentenceEmbedding: encoder.encode(rest)), phi).reduce(0) { $0 + $1.0 * $1.1 }
                }
                return TopSignal(features: signal, words: words, wordScores: shares, score: score)
            }
        case let .queryClasses(bridge, encoder, prompt, count, temperature):
            return { method, negated in
                let (k, d, fw) = (bridge.classCount, bridge.dimension, f.count)
                func classSignal(_ text: String) -> [Float] {
                    let s = encoder.encode(prompt.replacingOccurrences(of: "{}", with: text))
                    let similarity = (0..<k).map { c in (0..<d).reduce(Float(0)) { $0 + bridge.classText[c * d + $1] * s[$1] } }
                    let best = similarity.indices.sorted { similarity[$0] > similarity[$1] }.prefix(count)
                    var weights = [Float](repeating: 0, count: k)
                    for c in best { weights[c] = Foundation.exp((similarity[c] - similarity[best.first!]) / temperature) }
                    let total = weights.reduce(0, +)
                    return weights.map { $0 / total }
                }
                let pClass = classSignal(query)
                let probabilities = Excitation.softmax(logits)
                let score = zip(pClass, probabilities).reduce(0) { $0 + $1.0 * $1.1 }
                var signal: [Float]
                if method == .gradient {
                    // ∂(Σ_c q_c logit_c)/∂f = FCᵀ q.
                    signal = matmul(classifier, pClass, m: fw, n: 1, k: k, transposeA: true)
                    if negated { signal = signal.map { -$0 } }
                } else {
                    let w = negated ? classifier.map { -$0 } : classifier
                    signal = try Excitation.dense(pOut: pClass, input: f, weight: w, outputs: k, inputs: fw)
                }
                let words = QueryTokenizer.tokenize(query)
                let shares = Self.leaveOneOutShares(words, score: score) { rest in
                    zip(classSignal(rest), probabilities).reduce(0) { $0 + $1.0 * $1.1 }
                }
                return TopSignal(features: signal, words: words, wordScores: shares, score: score)
            }
        case let .imagenetClass(chosen):
            return { method, negated in
                let probabilities = Excitation.softmax(logits)
                let c = chosen ?? probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
                let fw = f.count
                var row = Array(classifier[(c * fw)..<((c + 1) * fw)])
                if negated { row = row.map { -$0 } }
                let signal = method == .gradient
                    ? row
                    : try Excitation.dense(pOut: [1], input: f, weight: row, outputs: 1, inputs: fw)
                return TopSignal(features: signal, score: probabilities[c])
            }
        }
    }

    /// Each word's share of the score: how much the score drops without it
    /// (negative drops count as zero), normalised to sum to 1; a single word
    /// gets 1. scoreWithout maps the query minus one word to its score.
    static func leaveOneOutShares(_ words: [String], score: Float, scoreWithout: (String) -> Float) -> [Float] {
        guard words.count > 1 else { return words.map { _ in 1 } }
        let drops = words.indices.map { i -> Float in
            var rest = words
            rest.remove(at: i)
            return max(score - scoreWithout(rest.joined(separator: " ")), 0)
        }
        let total = drops.reduce(0, +)
        return total > 0 ? drops.map { $0 / total } : drops
    }
}
