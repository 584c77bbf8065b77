extension ScorerParameters {
    /// Runs the scorer over a batch and keeps every activation.
    /// features (B,F) → x₀ = P·f + b_p (B,E); words (T−1,B,E) → x₁…;
    /// gates_t = act(W·x_t + U·h_{t−1} + b) (B,4H); c_t, h_t (B,H);
    /// logit_b = w·h_{lastStep[b]} + b_out.
    public func forward(_ batch: ScorerBatch) throws -> ScorerActivations {
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        guard batch.featureSize == f, batch.wordDimension == e else {
            throw ScorerError.shapeMismatch("batch has features \(batch.featureSize), words \(batch.wordDimension); scorer expects \(f), \(e)")
        }
        let (b, steps) = (batch.count, batch.steps)
        var inputs = [Float](repeating: 0, count: steps * b * e)
        var gates = [Float](repeating: 0, count: steps * b * 4 * h)
        var cells = [Float](repeating: 0, count: steps * b * h)
        var hiddens = [Float](repeating: 0, count: steps * b * h)
        var logits = [Float](repeating: 0, count: b)

        inputs.withUnsafeMutableBufferPointer { x in
            let x = x.baseAddress!
            // x₀ (B,E) = features (B,F) · Pᵀ + b_p
            gemm(x, batch.features, projection, m: b, n: e, k: f, transposeB: true)
            for s in 0..<b { for d in 0..<e { x[s * e + d] += projectionBias[d] } }
            // x₁… (T−1,B,E): the words, with the learned vector at OOV positions.
            for (position, oov) in batch.isOOV.enumerated() {
                let row = x + (b + position) * e
                for d in 0..<e { row[d] = oov ? oovVector[d] : batch.words[position * e + d] }
            }
        }
        gates.withUnsafeMutableBufferPointer { a in
            let a = a.baseAddress!
            // Input part of every step at once: (T·B,4H) = x (T·B,E) · Wᵀ + b.
            for r in 0..<(steps * b) { for j in 0..<(4 * h) { a[r * 4 * h + j] = gateBias[j] } }
            gemm(a, inputs, inputWeight, m: steps * b, n: 4 * h, k: e, transposeB: true, beta: 1)
            cells.withUnsafeMutableBufferPointer { c in
                hiddens.withUnsafeMutableBufferPointer { hs in
                    let (c, hs) = (c.baseAddress!, hs.baseAddress!)
                    for t in 0..<steps {
                        // Rows past the active ones have ended: their gates, cells and hiddens stay 0.
                        let rows = batch.activeRows[t]
                        let at = a + t * b * 4 * h
                        if t > 0 {
                            // += h_{t−1} (rows,H) · Uᵀ (H,4H)
                            gemm(at, hs + (t - 1) * b * h, hiddenWeight, m: rows, n: 4 * h, k: h,
                                 transposeB: true, beta: 1)
                        }
                        reluLSTMCellStep(at, cellPrevious: t > 0 ? UnsafePointer(c + (t - 1) * b * h) : nil,
                                         cell: c + t * b * h, hidden: hs + t * b * h, rows: rows, hiddenSize: h)
                        for r in (rows * 4 * h)..<(b * 4 * h) { at[r] = 0 }
                    }
                }
            }
        }
        for s in 0..<b {
            let start = (batch.lastStep[s] * b + s) * h
            var z = outputBias[0]
            for j in 0..<h { z += outputWeight[j] * hiddens[start + j] }
            logits[s] = z
        }
        return ScorerActivations(batchSize: b, steps: steps, wordDimension: e, hiddenSize: h,
                                 inputs: inputs, gates: gates, cells: cells, hiddens: hiddens,
                                 lastStep: batch.lastStep, logits: logits)
    }
}
