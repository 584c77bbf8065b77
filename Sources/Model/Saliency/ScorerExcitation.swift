// The LSTM scorer explained: EB from its score through the unrolled LSTM
// (per-word shares) and on through the image projection x₀ = P·f + b_p into
// the backbone features f, where BackboneExcitation takes over.

extension Excitation {
    public struct ScorerSignal: Sendable {
        /// Share of the score per step (T): t = 0 the image, then each word.
        public var stepScores: [Float]
        /// The signal on the pooled features f (F): P(f) for EB, ∂logit/∂f for the gradient.
        public var features: [Float]
    }

    /// EB (optionally with the negated output weights, the c-MWP dual) or the
    /// gradient, for one sequence. features f (F); trace from `activations.trace(b)`.
    public static func scorer(_ parameters: ScorerParameters, trace: ScorerSequenceTrace, features f: [Float],
                              method: Method = .excitation, negatedTop: Bool = false) throws -> ScorerSignal {
        let (fw, e, h) = (parameters.shape.featureSize, parameters.shape.wordDimension, parameters.shape.hiddenSize)
        try SaliencyError.check("scorer features", f.count, fw)
        guard let x0 = trace.inputs.first else { throw SaliencyError(.emptyInput, "scorer trace has no steps") }
        switch method {
        case .excitation:
            let lstmTrace = LSTMTrace(inputs: trace.inputs, inputGates: trace.inputGates, forgetGates: trace.forgetGates,
                                      outputGates: trace.outputGates, cellInputs: trace.cellInputs,
                                      cells: trace.cells, hidden: trace.hidden)
            let weights = LSTMWeights(cellInput: parameters.cellInputWeight, cellRecurrent: parameters.cellRecurrentWeight,
                                      output: parameters.outputWeight, inputSize: e, hiddenSize: h)
            let relevance = try lstm(trace: lstmTrace, weights: weights, negatedTop: negatedTop)
            // x₀ is signed: its signs pick which projection contributions won.
            let pF = try dense(pOut: relevance.inputs[0], input: f, weight: parameters.projection,
                               outputs: e, inputs: fw, output: x0)
            return ScorerSignal(stepScores: relevance.stepScores, features: pF)
        case .gradient:
            let batch = try ScorerBatch(features: [f], queries: [wordsOnly(trace, dimension: e)])
            let act = try parameters.forward(batch)
            // x₀ = P f + b_p, so ∂logit/∂x₀ is the bias gradient and ∂logit/∂f = Pᵀ ∂logit/∂x₀.
            let dx0 = parameters.backward(batch, act, dLogits: [negatedTop ? -1 : 1]).projectionBias
            let df = matmul(parameters.projection, dx0, m: fw, n: 1, k: e, transposeA: true)
            return ScorerSignal(stepScores: [], features: df)
        }
    }

    /// The trace's word inputs (steps 1…) as an encoded query, OOV resolved already.
    private static func wordsOnly(_ trace: ScorerSequenceTrace, dimension: Int) -> EncodedQuery {
        let words = trace.inputs.dropFirst()
        return EncodedQuery(tokens: words.indices.map { "w\($0)" }, vectors: words.flatMap { $0 },
                            isOOV: [Bool](repeating: false, count: words.count), dimension: dimension)
    }
}
