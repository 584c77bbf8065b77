// EB through an LSTM unrolled in time (Bargal et al. 2017), for the ReLU LSTM
// whose cell input and output activations are ReLU instead of tanh:
//
//     g_t = ReLU(W x_t + U h_{t−1} + b)     cell input
//     c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t       cell recurrence
//     h_t = o_t ⊙ ReLU(c_t)                 hidden output
//     s   = σ(v · h_{T−1} + b_v)            score
//
// The gates i, f, o are treated as multiplicative constants: no signal flows
// into their pre-activations. Each step's input x_t receives a share of the
// top signal; the shares over all steps sum to 1 (less what is dropped at
// units without excitatory input), so they are the per-word (temporal)
// saliency, and the share of x_0, the image projection, is what continues
// into the CNN.

extension Excitation {
    /// What the LSTM forward pass kept, one entry per time step t = 0..<T.
    public struct LSTMTrace: Sendable {
        /// x_t (E)
        public var inputs: [[Float]]
        /// i_t, f_t, o_t (H) each, after the sigmoid.
        public var inputGates: [[Float]], forgetGates: [[Float]], outputGates: [[Float]]
        /// g_t (H), after the ReLU.
        public var cellInputs: [[Float]]
        /// c_t (H)
        public var cells: [[Float]]
        /// h_t (H)
        public var hidden: [[Float]]

        public init(inputs: [[Float]], inputGates: [[Float]], forgetGates: [[Float]], outputGates: [[Float]],
                    cellInputs: [[Float]], cells: [[Float]], hidden: [[Float]]) {
            self.inputs = inputs; self.inputGates = inputGates; self.forgetGates = forgetGates
            self.outputGates = outputGates; self.cellInputs = cellInputs; self.cells = cells; self.hidden = hidden
        }
    }

    /// The weights EB needs: only the cell-input path and the output head.
    public struct LSTMWeights: Sendable {
        /// W (H,E): cell input from x_t.
        public var cellInput: [Float]
        /// U (H,H): cell input from h_{t−1}.
        public var cellRecurrent: [Float]
        /// v (H): the linear layer before the sigmoid.
        public var output: [Float]
        public var inputSize: Int, hiddenSize: Int

        public init(cellInput: [Float], cellRecurrent: [Float], output: [Float], inputSize: Int, hiddenSize: Int) {
            self.cellInput = cellInput; self.cellRecurrent = cellRecurrent; self.output = output
            self.inputSize = inputSize; self.hiddenSize = hiddenSize
        }
    }

    public struct LSTMRelevance: Sendable {
        /// Share of the top signal reaching each step's input (T): t = 0 is the
        /// image, t ≥ 1 the query words. Sums to 1 less dropped shares.
        public var stepScores: [Float]
        /// P(x_t) (T,E): where within each input the share landed.
        public var inputs: [[Float]]
    }

    /// One EB pass from the score down to every step's input. With
    /// `negatedTop`, the output weights are negated (the dual signal of c-MWP).
    public static func lstm(trace: LSTMTrace, weights: LSTMWeights, negatedTop: Bool = false) throws -> LSTMRelevance {
        let steps = trace.inputs.count, e = weights.inputSize, h = weights.hiddenSize
        guard steps > 0 else { throw SaliencyError(.emptyInput, "LSTM trace has no time steps") }
        try SaliencyError.check("LSTM W (H,E)", weights.cellInput.count, h * e)
        try SaliencyError.check("LSTM U (H,H)", weights.cellRecurrent.count, h * h)
        try SaliencyError.check("LSTM output weight", weights.output.count, h)
        for (name, seq, size) in [("inputs", trace.inputs, e), ("input gates", trace.inputGates, h),
                                  ("forget gates", trace.forgetGates, h), ("output gates", trace.outputGates, h),
                                  ("cell inputs", trace.cellInputs, h), ("cells", trace.cells, h),
                                  ("hidden", trace.hidden, h)] {
            try SaliencyError.check("LSTM trace \(name) steps", seq.count, steps)
            for (t, v) in seq.enumerated() { try SaliencyError.check("LSTM trace \(name)[\(t)]", v.count, size) }
        }
        // [W | U] (H, E+H): x_t and h_{t−1} compete for each cell-input unit.
        var joined = [Float](repeating: 0, count: h * (e + h))
        for j in 0..<h {
            for k in 0..<e { joined[j * (e + h) + k] = weights.cellInput[j * e + k] }
            for k in 0..<h { joined[j * (e + h) + e + k] = weights.cellRecurrent[j * h + k] }
        }
        let top = negatedTop ? weights.output.map { -$0 } : weights.output
        var pHidden = try dense(pOut: [1], input: trace.hidden[steps - 1], weight: top, outputs: 1, inputs: h)
        var pCarry = [Float](repeating: 0, count: h)
        let zeros = [Float](repeating: 0, count: h)
        var pInputs = [[Float]](repeating: [], count: steps)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            // h = o ⊙ ReLU(c): pass-through to cells with c > 0.
            let pCell = try zip(activation(pOut: pHidden, preActivation: trace.cells[t]), pCarry).map(+)
            let previousCell = t > 0 ? trace.cells[t - 1] : zeros
            let fromPrevious = zip(trace.forgetGates[t], previousCell).map(*)
            let fromInput = zip(trace.inputGates[t], trace.cellInputs[t]).map(*)
            let split = try residual(pOut: pCell, fromPrevious, fromInput)
            pCarry = split.a
            let previousHidden = t > 0 ? trace.hidden[t - 1] : zeros
            let pJoined = try dense(pOut: split.b, input: trace.inputs[t] + previousHidden,
                                    weight: joined, outputs: h, inputs: e + h)
            pInputs[t] = Array(pJoined[0..<e])
            pHidden = Array(pJoined[e...])
        }
        return LSTMRelevance(stepScores: pInputs.map { $0.reduce(0, +) }, inputs: pInputs)
    }
}
