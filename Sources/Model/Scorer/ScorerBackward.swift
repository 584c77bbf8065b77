extension ScorerParameters {
    /// BPTT through the batch's forward pass.
    /// dLogits (B): ∂loss/∂logit_b. Returns ∂loss/∂(every parameter), shaped
    /// like the parameters. Per step, with gates stored after activation:
    /// dc = dc_{t+1}⊙f_{t+1} + dh⊙o⊙[c>0]; da_i = dc⊙g⊙i(1−i);
    /// da_f = dc⊙c₋₁⊙f(1−f); da_g = dc⊙i⊙[g>0]; da_o = dh⊙ReLU(c)⊙o(1−o);
    /// dh_{t−1} = da (B,4H) · U (4H,H).
    public func backward(_ batch: ScorerBatch, _ act: ScorerActivations, dLogits: [Float]) -> ScorerParameters {
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        let (b, steps) = (act.batchSize, act.steps)
        precondition(dLogits.count == b && batch.count == b, "backward: \(dLogits.count) gradients for batch \(b)")
        var grad = ScorerParameters(zerosLike: shape)
        var dPre = [Float](repeating: 0, count: steps * b * 4 * h)   // da (T,B,4H)
        var dHidden = [Float](repeating: 0, count: b * h)            // dh_t (B,H), from step t+1
        var dCell = [Float](repeating: 0, count: b * h)              // dc from step t+1, already ⊙ f_{t+1}

        // Output layer: logit = w·h_n + b.
        for s in 0..<b {
            let start = (act.lastStep[s] * b + s) * h
            for j in 0..<h { grad.outputWeight[j] += dLogits[s] * act.hiddens[start + j] }
            grad.outputBias[0] += dLogits[s]
        }

        dPre.withUnsafeMutableBufferPointer { da in
            let da = da.baseAddress!
            for t in stride(from: steps - 1, through: 0, by: -1) {
                // The score enters h at each sequence's own last step.
                for s in 0..<b where act.lastStep[s] == t {
                    for j in 0..<h { dHidden[s * h + j] += dLogits[s] * outputWeight[j] }
                }
                act.gates.withUnsafeBufferPointer { gates in
                    act.cells.withUnsafeBufferPointer { cells in
                        dHidden.withUnsafeBufferPointer { dHidden in
                            dCell.withUnsafeMutableBufferPointer { dCell in
                                bpttCellStep(t: t, batch: b, rows: batch.activeRows[t], hiddenSize: h, gates: gates.baseAddress!,
                                             cells: cells.baseAddress!, dHidden: dHidden.baseAddress!,
                                             dCell: dCell.baseAddress!, dPre: da + t * b * 4 * h)
                            }
                        }
                    }
                }
                if t > 0 {
                    // dh_{t−1} (rows,H) = da_t (rows,4H) · U (4H,H). Rows that end
                    // before t were never written, so they still hold only zeros.
                    gemm(&dHidden, da + t * b * 4 * h, hiddenWeight, m: batch.activeRows[t], n: h, k: 4 * h)
                }
            }
            // dU (4H,H) = Σ_{t≥1} da_tᵀ · h_{t−1}: one product over steps 1…T−1.
            if steps > 1 {
                gemm(&grad.hiddenWeight, da + b * 4 * h, act.hiddens, m: 4 * h, n: h, k: (steps - 1) * b,
                     transposeA: true)
            }
            // dW (4H,E) = daᵀ (4H,T·B) · x (T·B,E); db = Σ rows of da.
            gemm(&grad.inputWeight, da, act.inputs, m: 4 * h, n: e, k: steps * b, transposeA: true)
            for r in 0..<(steps * b) { for j in 0..<(4 * h) { grad.gateBias[j] += da[r * 4 * h + j] } }
        }
        // dx (T·B,E) = da (T·B,4H) · W (4H,E)
        let dInputs = matmul(dPre, inputWeight, m: steps * b, n: e, k: 4 * h)
        // Image projection: dP (E,F) = dx₀ᵀ (E,B) · features (B,F); db_p = Σ dx₀.
        gemm(&grad.projection, dInputs, batch.features, m: e, n: f, k: b, transposeA: true)
        for s in 0..<b { for d in 0..<e { grad.projectionBias[d] += dInputs[s * e + d] } }
        // Every OOV position shares one vector.
        for (position, oov) in batch.isOOV.enumerated() where oov {
            for d in 0..<e { grad.oovVector[d] += dInputs[(b + position) * e + d] }
        }
        return grad
    }
}

/// One step of BPTT through the elementwise part, for the active rows.
/// gates (T,B,4H) and cells (T,B,H) from the forward pass; dHidden (B,H) = dh_t;
/// dCell (B,H): in dc_{t+1}⊙f_{t+1}, out dc_t⊙f_t; dPre (B,4H) out: da_t.
@inline(__always)
private func bpttCellStep(t: Int, batch b: Int, rows: Int, hiddenSize h: Int, gates: UnsafePointer<Float>,
                          cells: UnsafePointer<Float>, dHidden: UnsafePointer<Float>,
                          dCell: UnsafeMutablePointer<Float>, dPre: UnsafeMutablePointer<Float>) {
    for s in 0..<rows {
        let row = t * b + s
        let gate = gates + row * 4 * h, da = dPre + s * 4 * h
        let cell = cells + row * h
        let previous: UnsafePointer<Float>? = t > 0 ? cells + ((t - 1) * b + s) * h : nil
        let dh = dHidden + s * h, dc = dCell + s * h
        for j in 0..<h {
            let i = gate[j], f = gate[h + j], g = gate[2 * h + j], o = gate[3 * h + j]
            let c = cell[j]
            let cPrevious = previous?[j] ?? 0
            let dcj = dc[j] + (c > 0 ? dh[j] * o : 0)
            da[j] = dcj * g * i * (1 - i)
            da[h + j] = dcj * cPrevious * f * (1 - f)
            da[2 * h + j] = g > 0 ? dcj * i : 0
            da[3 * h + j] = dh[j] * max(c, 0) * o * (1 - o)
            dc[j] = dcj * f
        }
    }
}
