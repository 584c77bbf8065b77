import Foundation

// Explanations in the joint space, where the query meets the image: the
// combined map of the chosen method and one map and score per content word.

extension Explainer {
    /// The joint-space explanation of `query` for one forward pass.
    func explainInJointSpace(_ pass: Forward, query: String, method: ExplanationMethod,
                             model: JointModel, encoder: SentenceEncoder) throws -> Explanation {
        if method.walksTheBackbone && pass.activations.isEmpty {
            throw SaliencyError(.missingActivation, "\(method.rawValue) needs the forward pass run with keepActivations")
        }
        let side = Int(Double(BackboneOutput.gridCells).squareRoot())
        let (height, width, channels) = (side, side, model.parameters.featureWidth)
        let space = try CellSpace(model: model, head: pass.head, width: width, height: height,
                                  classifier: classifier, classifierBias: classifierBias)
        // The finer cells of the tiles, when the caller ran them, for the cell maps.
        let fine = try pass.detail.map {
            try CellSpace(model: model, head: $0.head, width: $0.width, height: $0.height,
                          classifier: classifier, classifierBias: classifierBias)
        } ?? space
        func embed(_ text: String) -> [Float] {
            model.embedText(sentenceEmbedding: encoder.encode(prompted(text)))
        }
        let theta = embed(query)
        let other = jointBaseline(model)
        let baseline = try space.scores(other, weighting: cellWeighting)
        let fineBaseline = try fine.scores(other, weighting: cellWeighting)
        func weights(_ theta: [Float]) throws -> [Float] {
            cellWeighting.weights(try space.scores(theta, weighting: cellWeighting), baseline: baseline)
        }
        func fineWeights(_ theta: [Float]) throws -> SaliencyMap {
            var scores = try fine.scores(theta, weighting: cellWeighting)
            var base = fineBaseline
            if cellWeighting.multiScale && fine.cells != space.cells {
                func coarse(_ v: [Float]) -> [Float] {
                    standardized(SaliencyMap(checkedWidth: width, height: height, values: v)
                        .resampled(width: fine.width, height: fine.height).values)
                }
                scores = zip(standardized(scores), coarse(try space.scores(theta, weighting: cellWeighting))).map(+)
                base = zip(standardized(base), coarse(baseline)).map(+)
            }
            return SaliencyMap(checkedWidth: fine.width, height: fine.height,
                               values: cellWeighting.weights(scores, baseline: base))
                .smoothed(sigma: cellWeighting.smoothing)
        }
        let queryWeights = try weights(theta)
        let phi = model.embedImage(feature: pass.features, logits: pass.logits)
        let score = zip(theta, phi).reduce(0) { $0 + $1.0 * $1.1 }
        let map: SaliencyMap
        switch method {
        case .cells:
            map = try fineWeights(theta)
        case .eb, .cmwp:
            let signal = try Excitation.cells(model, query: theta, space: space, weights: queryWeights, classifier: classifier)
            var eb = try Excitation.backbone(backbone, activations: pass.activations, headSignal: signal, map: featureMap)
            if method == .cmwp {
                // The competitor: the mean class phrase, weighted by its own cells.
                let otherWeights = cellWeighting.weights(baseline, baseline: nil)
                let dual = try Excitation.cells(model, query: other, space: space, weights: otherWeights, classifier: classifier)
                eb = try eb.contrasted(with: Excitation.backbone(backbone, activations: pass.activations, headSignal: dual, map: featureMap))
            }
            map = eb
        case .gradcam:
            let gradient = try Excitation.jointGradientAtHead(model, query: theta, head: pass.head, cells: width * height,
                                                              logits: pass.logits, classifier: classifier)
            map = try Excitation.gradCAM(gradient: gradient, head: pass.head, channels: channels,
                                         height: height, width: width)
        case .gradient:
            let df = try Excitation.jointScoreGradient(model, query: theta, features: pass.features, logits: pass.logits,
                                                       classifier: classifier).gradient
            map = try Excitation.backbone(backbone, activations: pass.activations, featureSignal: df, map: featureMap,
                                          method: .gradient)
        case .centre:
            map = Self.centreMap(width: width, height: height)
        }
        let words = WordMaps.contentWords(query)
        let wordMaps = try words.map { try fineWeights(embed($0)) }
        let combined = try WordMaps.onCells(map.resampled(width: fine.width, height: fine.height),
                                            width: fine.width, height: fine.height)
        let scores = WordMaps.scores(combined: combined, wordMaps: wordMaps.map(\.values))
        let perWord = words.indices.map { WordExplanation(word: words[$0], score: scores[$0], map: wordMaps[$0]) }
        return Explanation(map: map, words: words, wordScores: scores, imageShare: nil, score: score,
                           method: method, perWord: perWord)
    }

    /// A Gaussian bump on the centre cell, σ a quarter of the grid.
    static func centreMap(width: Int, height: Int) -> SaliencyMap {
        let sigma = Float(max(width, height)) / 4
        let (cx, cy) = (Float(width - 1) / 2, Float(height - 1) / 2)
        let values = (0..<(width * height)).map { i -> Float in
            let dx = Float(i % width) - cx, dy = Float(i / width) - cy
            return Foundation.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))
        }
        return SaliencyMap(checkedWidth: width, height: height, values: values)
    }

    /// θ̄: the joint embedding of the mean class phrase, text that matches
    /// every photo a little; what "the photo looks like the words more than
    /// like anything" is measured against.
    func jointBaseline(_ model: JointModel) -> [Float] {
        let (k, d) = (model.bridge.classCount, model.dimension)
        var mean = [Float](repeating: 0, count: d)
        for c in 0..<k { for j in 0..<d { mean[j] += model.bridge.classText[c * d + j] } }
        return model.embedText(sentenceEmbedding: normalizedL2(mean))
    }
}
