extension TagParameters {
    /// BPTT through `forward`. dLogits (T,B,V+1): ∂loss/∂logits_t. Returns
    /// ∂loss/∂(every parameter), shaped like the parameters.
    /// dh_t = dlogits_t·O + da_{t+1}·U; the image's gradient collects da_t of
    /// every step it entered: dx (B,E) = (Σ_t da_t)·W.
    public func backward(_ act: TagActivations, dLogits: [Float]) -> TagParameters {
        let (f, e, h, v) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize)
        let (b, steps) = (act.batchSize, act.steps)
        precondition(dLogits.count == steps * b * v, "backward: \(dLogits.count) logit gradients for (\(steps),\(b),\(v))")
        var grad = TagParameters(zerosLike: shape, imageInput: imageInput, imageToOutput: imageToOutput)
        // dO (V+1,H) = dlogitsᵀ (V+1,T·B) · h (T·B,H); db_o = Σ rows.
        gemm(&grad.outputWeight, dLogits, act.hiddens, m: v, n: h, k: steps * b, transposeA: true)
        for r in 0..<(steps * b) { for j in 0..<v { grad.outputBias[j] += dLogits[r * v + j] } }
        if imageToOutput {
            // dS (V+1,F) = (Σ_t dlogits_t)ᵀ (V+1,B) · f (B,F)
            var summed = Array(dLogits[0..<(b * v)])
            for t in 1..<steps {
                let offset = t * b * v
                for r in 0..<(b * v) { summed[r] += dLogits[offset + r] }
            }
            gemm(&grad.outputImageWeight, summed, act.features, m: v, n: f, k: b, transposeA: true)
        }
        // dh from the outputs (T·B,H) = dlogits (T·B,V+1) · O (V+1,H).
        var dHiddenOut = matmul(dLogits, outputWeight, m: steps * b, n: h, k: v)

        var dPre = [Float](repeating: 0, count: steps * b * 4 * h)  // da (T,B,4H)
        var dCell = [Float](repeating: 0, count: b * h)             // dc_{t+1}⊙f_{t+1}
        dPre.withUnsafeMutableBufferPointer { da in
            dHiddenOut.withUnsafeMutableBufferPointer { dh in
                let (da, dh) = (da.baseAddress!, dh.baseAddress!)
                act.gates.withUnsafeBufferPointer { gates in
                    act.cells.withUnsafeBufferPointer { cells in
                        for t in stride(from: steps - 1, through: 0, by: -1) {
                            lstmCellBackward(gates: gates.baseAddress! + t * b * 4 * h, cell: cells.baseAddress! + t * b * h,
                                             cellPrevious: t > 0 ? cells.baseAddress! + (t - 1) * b * h : nil,
                                             dHidden: dh + t * b * h, dCell: &dCell, dPre: da + t * b * 4 * h,
                                             rows: b, hiddenSize: h)
                            if t > 0 {
                                // dh_{t−1} (B,H) += da_t (B,4H) · U (4H,H)
                                gemm(dh + (t - 1) * b * h, da + t * b * 4 * h, hiddenWeight, m: b, n: h, k: 4 * h, beta: 1)
                            }
                        }
                    }
                }
                // dU (4H,H) = Σ_{t≥1} da_tᵀ · h_{t−1}
                if steps > 1 {
                    gemm(&grad.hiddenWeight, da + b * 4 * h, act.hiddens, m: 4 * h, n: h, k: (steps - 1) * b, transposeA: true)
                }
                for r in 0..<(steps * b) { for j in 0..<(4 * h) { grad.gateBias[j] += da[r * 4 * h + j] } }
            }
        }
        // The image's share: dImage (B,4H) = Σ_t da_t (every step) or da_0 (first only).
        var dImage = Array(dPre[0..<(b * 4 * h)])
        if imageInput == .everyStep {
            for t in 1..<max(steps, 1) {
                let offset = t * b * 4 * h
                for r in 0..<(b * 4 * h) { dImage[r] += dPre[offset + r] }
            }
        }
        // dW (4H,E) = dImageᵀ · x; dx (B,E) = dImage · W.
        gemm(&grad.inputWeight, dImage, act.inputs, m: 4 * h, n: e, k: b, transposeA: true)
        let dInputs = matmul(dImage, inputWeight, m: b, n: e, k: 4 * h)
        // dP (E,F) = dxᵀ (E,B) · features (B,F); db_p = Σ dx.
        gemm(&grad.projection, dInputs, act.features, m: e, n: f, k: b, transposeA: true)
        for s in 0..<b { for d in 0..<e { grad.projectionBias[d] += dInputs[s * e + d] } }
        return grad
    }
}
