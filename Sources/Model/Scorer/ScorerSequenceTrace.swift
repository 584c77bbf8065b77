/// One sequence's forward activations, step by step (t = 0 the image, then
/// the words up to its last step), in the form Excitation Backprop walks.
public struct ScorerSequenceTrace: Sendable, Equatable {
    /// x_t (E) per step.
    public var inputs: [[Float]]
    /// i_t, f_t, o_t (H) per step, after the sigmoid.
    public var inputGates: [[Float]], forgetGates: [[Float]], outputGates: [[Float]]
    /// g_t (H) per step, after the ReLU.
    public var cellInputs: [[Float]]
    /// c_t, h_t (H) per step.
    public var cells: [[Float]], hidden: [[Float]]
    public var logit: Float
}

extension ScorerActivations {
    /// Sequence b's activations for steps 0…lastStep[b].
    public func trace(_ b: Int) -> ScorerSequenceTrace {
        let (e, h, n) = (wordDimension, hiddenSize, batchSize)
        var trace = ScorerSequenceTrace(inputs: [], inputGates: [], forgetGates: [], outputGates: [],
                                        cellInputs: [], cells: [], hidden: [], logit: logits[b])
        for t in 0...lastStep[b] {
            let row = t * n + b
            trace.inputs.append(Array(inputs[(row * e)..<((row + 1) * e)]))
            let g = row * 4 * h
            trace.inputGates.append(Array(gates[g..<(g + h)]))
            trace.forgetGates.append(Array(gates[(g + h)..<(g + 2 * h)]))
            trace.cellInputs.append(Array(gates[(g + 2 * h)..<(g + 3 * h)]))
            trace.outputGates.append(Array(gates[(g + 3 * h)..<(g + 4 * h)]))
            trace.cells.append(Array(cells[(row * h)..<((row + 1) * h)]))
            trace.hidden.append(Array(hiddens[(row * h)..<((row + 1) * h)]))
        }
        return trace
    }
}

extension ScorerParameters {
    /// W_g (H,E): the cell-input rows of W (gate order i, f, g, o).
    public var cellInputWeight: [Float] {
        let (e, h) = (shape.wordDimension, shape.hiddenSize)
        return Array(inputWeight[(2 * h * e)..<(3 * h * e)])
    }

    /// U_g (H,H): the cell-input rows of U.
    public var cellRecurrentWeight: [Float] {
        let h = shape.hiddenSize
        return Array(hiddenWeight[(2 * h * h)..<(3 * h * h)])
    }
}
