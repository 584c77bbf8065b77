extension TagParameters {
    /// BPTT through `forward`. dLogits (T,B,V+1): ∂loss/∂logits_t. Returns
    /// ∂loss/∂(every parameter), shaped like the parameters.
    /// dh_t = dlogits_t·O + da_{t+1}·U [+ dq_{t+1}·D with attention]; the image's
    /// gradient collects da_t of every step it entered: dx (B,E) = (Σ_t da_t)·W
    /// [+ (Σ_t dlogits_t)·S when S reads x]; each cell's dz_k = dx/K [+ the attention's].
    public func backward(_ act: TagActivations, dLogits: [Float]) -> TagParameters {
        let (f, e, h, v, k) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize, shape.cells)
        let (b, steps) = (act.batchSize, act.steps)
        precondition(dLogits.count == steps * b * v, "backward: \(dLogits.count) logit gradients for (\(steps),\(b),\(v))")
        var grad = TagParameters(zerosLike: shape, imageInput: imageInput, imageToOutput: imageToOutput,
                                 directSource: directSource, attention: attention)
        // dO (V+1,H) = dlogitsᵀ (V+1,T·B) · h (T·B,H); db_o = Σ rows.
        gemm(&grad.outputWeight, dLogits, act.hiddens, m: v, n: h, k: steps * b, transposeA: true)
        for r in 0..<(steps * b) { for j in 0..<v { grad.outputBias[j] += dLogits[r * v + j] } }
        var dInputs = [Float](repeating: 0, count: b * e)  // dx (B,E)
        if imageToOutput {
            // dS (V+1,F|E) = (Σ_t dlogits_t)ᵀ (V+1,B) · f̄ or x (B,F|E)
            var summed = Array(dLogits[0..<(b * v)])
            for t in 1..<steps {
                let offset = t * b * v
                for r in 0..<(b * v) { summed[r] += dLogits[offset + r] }
            }
            let source = directSource == .feature ? act.pooled : act.inputs
            gemm(&grad.outputImageWeight, summed, source, m: v, n: directWidth, k: b, transposeA: true)
            // dx (B,E) += Σ_t dlogits_t (B,V+1) · S (V+1,E)
            if directSource == .projection { gemm(&dInputs, summed, outputImageWeight, m: b, n: e, k: v) }
        }
        // dh from the outputs (T·B,H) = dlogits (T·B,V+1) · O (V+1,H).
        var dHiddenOut = matmul(dLogits, outputWeight, m: steps * b, n: h, k: v)

        var dPre = [Float](repeating: 0, count: steps * b * 4 * h)  // da (T,B,4H)
        var dCell = [Float](repeating: 0, count: b * h)             // dc_{t+1}⊙f_{t+1}
        var dProjected = [Float](repeating: 0, count: b * k * e)    // dz (B,K,E)
        var dContext = [Float](repeating: 0, count: attention ? b * e : 0)
        var dQuery = [Float](repeating: 0, count: attention ? b * e : 0)
        var dScore = [Float](repeating: 0, count: attention ? e : 0)
        var dAttentionHidden = [Float](repeating: 0, count: attention ? e * h : 0)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            let withImage = imageInput == .everyStep || t == 0
            dPre.withUnsafeMutableBufferPointer { da in
                dHiddenOut.withUnsafeMutableBufferPointer { dh in
                    let (da, dh) = (da.baseAddress!, dh.baseAddress!)
                    act.gates.withUnsafeBufferPointer { gates in
                        act.cells.withUnsafeBufferPointer { cells in
                            lstmCellBackward(gates: gates.baseAddress! + t * b * 4 * h, cell: cells.baseAddress! + t * b * h,
                                             cellPrevious: t > 0 ? cells.baseAddress! + (t - 1) * b * h : nil,
                                             dHidden: dh + t * b * h, dCell: &dCell, dPre: da + t * b * 4 * h,
                                             rows: b, hiddenSize: h)
                        }
                    }
                    if t > 0 {
                        // dh_{t−1} (B,H) += da_t (B,4H) · U (4H,H)
                        gemm(dh + (t - 1) * b * h, da + t * b * 4 * h, hiddenWeight, m: b, n: h, k: 4 * h, beta: 1)
                    }
                    guard attention && withImage else { return }
                    // dctx_t (B,E) = da_t (B,4H) · W_c (4H,E)
                    gemm(&dContext, da + t * b * 4 * h, contextWeight, m: b, n: e, k: 4 * h)
                    act.attentionCells.withUnsafeBufferPointer { u in
                        act.attentionWeights.withUnsafeBufferPointer { alpha in
                            attendStepBackward(projected: act.projected, cells: u.baseAddress! + t * b * k * e,
                                               weights: alpha.baseAddress! + t * b * k, score: attentionScore,
                                               dContext: dContext, dProjected: &dProjected, dScore: &dScore, dQuery: &dQuery,
                                               rows: b, cellCount: k, width: e)
                        }
                    }
                    if t > 0 {
                        act.hiddens.withUnsafeBufferPointer { hs in
                            // dh_{t−1} (B,H) += dq (B,E) · D (E,H); dD (E,H) += dqᵀ (E,B) · h_{t−1} (B,H)
                            gemm(dh + (t - 1) * b * h, dQuery, attentionHidden, m: b, n: h, k: e, beta: 1)
                            gemm(&dAttentionHidden, dQuery, hs.baseAddress! + (t - 1) * b * h, m: e, n: h, k: b,
                                 transposeA: true, beta: 1)
                        }
                    }
                }
            }
        }
        // dU (4H,H) = Σ_{t≥1} da_tᵀ · h_{t−1}
        if steps > 1 {
            dPre.withUnsafeBufferPointer { da in
                gemm(&grad.hiddenWeight, da.baseAddress! + b * 4 * h, act.hiddens, m: 4 * h, n: h, k: (steps - 1) * b, transposeA: true)
            }
        }
        for r in 0..<(steps * b) { for j in 0..<(4 * h) { grad.gateBias[j] += dPre[r * 4 * h + j] } }
        if attention {
            // dW_c (4H,E) = Σ_t da_tᵀ ctx_t (contexts of steps without the image are zero).
            gemm(&grad.contextWeight, dPre, act.contexts, m: 4 * h, n: e, k: steps * b, transposeA: true)
            grad.attentionHidden = dAttentionHidden
            grad.attentionScore = dScore
        }
        // The image's share: dImage (B,4H) = Σ_t da_t (every step) or da_0 (first only).
        var dImage = Array(dPre[0..<(b * 4 * h)])
        if imageInput == .everyStep {
            for t in 1..<max(steps, 1) {
                let offset = t * b * 4 * h
                for r in 0..<(b * 4 * h) { dImage[r] += dPre[offset + r] }
            }
        }
        // dW (4H,E) = dImageᵀ · x; dx (B,E) += dImage · W.
        gemm(&grad.inputWeight, dImage, act.inputs, m: 4 * h, n: e, k: b, transposeA: true)
        gemm(&dInputs, dImage, inputWeight, m: b, n: e, k: 4 * h, beta: 1)
        // x is the mean of the cells: dz_k += dx / K.
        let share = 1 / Float(k)
        for s in 0..<b {
            for cell in 0..<k {
                let offset = (s * k + cell) * e
                for d in 0..<e { dProjected[offset + d] += dInputs[s * e + d] * share }
            }
        }
        // dP (E,F) = dzᵀ (E,B·K) · g (B·K,F); db_p = Σ dz.
        gemm(&grad.projection, dProjected, act.features, m: e, n: f, k: b * k, transposeA: true)
        for r in 0..<(b * k) { for d in 0..<e { grad.projectionBias[d] += dProjected[r * e + d] } }
        return grad
    }
}
