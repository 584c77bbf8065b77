import Foundation
import ModelFormat

/// How an explanation is computed.
public enum ExplanationMethod: String, Sendable, CaseIterable {
    /// Excitation Backprop: one backward pass of marginal winning probabilities.
    case eb
    /// Contrastive EB: the EB map minus the map for the negated top weights.
    case cmwp
    /// gradient × activation at the feature map (the baseline).
    case gradient
}

/// Which score is explained.
public enum ExplanationTarget: Sendable {
    /// The LSTM reranker's match score (Feng & Kim); word scores come from EB
    /// through time (for EB and c-MWP).
    case scorer(ScorerParameters, WordVectors)
    /// The joint-space dot product θ·φ; word scores by leaving each word out.
    case joint(JointModel, SentenceEncoder)
    /// An ImageNet class logit (nil: the top class); no words.
    case imagenetClass(Int?)
    /// The query read as ImageNet classes, as Zhang et al.'s pointing game
    /// names the object: the signal starts on the classes whose text
    /// embeddings (the bridge's C) best match the query's sentence embedding,
    /// spread by softmax(similarity / temperature) over the best `classes`,
    /// whatever the photo's own prediction. The query is read through
    /// `prompt` ("{}" stands for it), e.g. "a photo of a {}", as the class
    /// embeddings were built from caption-like phrases. Word scores by leaving
    /// each word out.
    case queryClasses(ZeroShotBridge, SentenceEncoder, prompt: String = "{}", classes: Int = 5, temperature: Float = 0.05)
}

/// Why a photo matched: a spatial map on the chosen feature map and a share per query word.
public struct Explanation: Sendable {
    /// Saliency on the feature map grid (covers the whole network input).
    public var map: SaliencyMap
    public var words: [String]
    /// One per word: EB's share (scorer), or the score lost without the word
    /// (joint), normalised to sum to 1 over words where any is positive.
    public var wordScores: [Float]
    /// The scorer's share of the signal reaching the image at t = 0 (EB only).
    public var imageShare: Float?
    /// The explained score: σ(logit) for the scorer, θ·φ for the joint space, the class probability.
    public var score: Float
    public var method: ExplanationMethod
}

/// Runs the backbone once with activations kept, then the chosen backward pass.
public struct Explainer: Sendable {
    public let backbone: EfficientNetLite0
    public let target: ExplanationTarget
    public var featureMap: Excitation.FeatureMap
    /// The backbone's classifier weight (1000,1280).
    let classifier: [Float]

    public init(backbone: EfficientNetLite0, target: ExplanationTarget,
                featureMap: Excitation.FeatureMap = .block14) throws {
        self.backbone = backbone
        self.target = target
        self.featureMap = featureMap
        classifier = try backbone.weights.floats("fc.weight", shape: [EfficientNetLite0.classCount, EfficientNetLite0.featureCount]).toArray()
    }

    /// One photo's forward pass, kept so several queries and methods can be
    /// explained without running the backbone again.
    public struct Forward: Sendable {
        public let activations: [LayerActivation]
        /// f (1280) pooled features, logits (1000).
        public let features: [Float], logits: [Float]
    }

    /// input (3,224,224) RGB 0–255, as from `networkInput`.
    public func forward(input: [Float]) throws -> Forward {
        let output = try backbone.forward(input, batch: 1, keepActivations: true)
        guard let activations = output.activations else {
            throw SaliencyError(.missingActivation, "the backbone kept no activations")
        }
        return Forward(activations: activations, features: Array(output.features), logits: Array(output.logits))
    }

    /// input (3,224,224) RGB 0–255, as from `networkInput`.
    public func explain(input: [Float], query: String, method: ExplanationMethod) throws -> Explanation {
        try explain(forward(input: input), query: query, method: method)
    }

    public func explain(_ pass: Forward, query: String, method: ExplanationMethod) throws -> Explanation {
        let top = topSignal(query: query, features: pass.features, logits: pass.logits, classifier: classifier)
        func map(_ signal: [Float], _ m: Excitation.Method) throws -> SaliencyMap {
            try Excitation.backbone(backbone, activations: pass.activations, featureSignal: signal, map: featureMap, method: m)
        }
        let first = try top(method == .gradient ? .gradient : .excitation, false)
        var saliency = try map(first.features, method == .gradient ? .gradient : .excitation)
        if method == .cmwp {
            let dual = try top(.excitation, true)
            saliency = try saliency.contrasted(with: map(dual.features, .excitation))
        }
        var words = first.words, wordScores = first.wordScores
        if words.isEmpty, case .scorer = target {
            // The gradient pass gives no temporal shares: take them from EB.
            let eb = try top(.excitation, false)
            words = eb.words; wordScores = eb.wordScores
        }
        return Explanation(map: saliency, words: words, wordScores: wordScores,
                           imageShare: method == .gradient ? nil : first.imageShare,
                           score: first.score, method: method)
    }

    private struct TopSignal {
        var features: [Float]
        var words: [String] = []
        var wordScores: [Float] = []
        var imageShare: Float?
        var score: Float
    }

    /// The signal on the pooled features for the target, as a function of
    /// (method, negated top weights).
    private func topSignal(query: String, features f: [Float], logits: [Float],
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
                var drops = [Float]()
                if words.count > 1 {
                    for i in words.indices {
                        var rest = words
                        rest.remove(at: i)
                        let thetaWithout = model.embedText(sentenceEmbedding: encoder.encode(rest.joined(separator: " ")))
                        drops.append(max(score - zip(thetaWithout, phi).reduce(0) { $0 + $1.0 * $1.1 }, 0))
                    }
                } else {
                    drops = words.map { _ in 1 }
                }
                let total = drops.reduce(0, +)
                return TopSignal(features: signal, words: words,
                                 wordScores: total > 0 ? drops.map { $0 / total } : drops, score: score)
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
                var drops = [Float]()
                if words.count > 1 {
                    for i in words.indices {
                        var rest = words
                        rest.remove(at: i)
                        let without = classSignal(rest.joined(separator: " "))
                        drops.append(max(score - zip(without, probabilities).reduce(0) { $0 + $1.0 * $1.1 }, 0))
                    }
                } else {
                    drops = words.map { _ in 1 }
                }
                let total = drops.reduce(0, +)
                return TopSignal(features: signal, words: words,
                                 wordScores: total > 0 ? drops.map { $0 / total } : drops, score: score)
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
}
