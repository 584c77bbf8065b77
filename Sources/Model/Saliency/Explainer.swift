import ModelFormat

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
}
