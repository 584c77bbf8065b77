import Foundation

extension TagParameters {
    /// Runs the ranker for `steps` steps over a batch of images and keeps
    /// every activation. images (B,K,F) (K = shape.cells; K = 1: the pooled
    /// feature) → z (B,K,E) = g·Pᵀ + b_p, x (B,E) = mean_k z_k;
    /// a_t (B,4H) = x·Wᵀ [+ ctx_t·W_cᵀ with attention] [every step, or t = 0 only]
    ///            + h_{t−1}·Uᵀ + b;
    /// c_t, h_t (B,H); logits_t (B,V+1) = h_t·Oᵀ + b_o [+ f̄·Sᵀ or x·Sᵀ with imageToOutput].
    public func forward(features: [Float], count b: Int, steps: Int) throws -> TagActivations {
        let (f, e, h, v, k) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize, shape.cells)
        guard features.count == b * k * f, b > 0, steps > 0 else {
            throw TagError.shapeMismatch("\(features.count) input values for \(b) images of \(k)×\(f), \(steps) steps")
        }
        var projected = [Float](repeating: 0, count: b * k * e)
        var imagePart = [Float](repeating: 0, count: b * 4 * h)
        var gates = [Float](repeating: 0, count: steps * b * 4 * h)
        var cells = [Float](repeating: 0, count: steps * b * h)
        var hiddens = [Float](repeating: 0, count: steps * b * h)
        var logits = [Float](repeating: 0, count: steps * b * v)

        // z (B·K,E) = g (B·K,F) · Pᵀ + b_p; x (B,E) = mean over cells.
        for r in 0..<(b * k) { for d in 0..<e { projected[r * e + d] = projectionBias[d] } }
        gemm(&projected, features, projection, m: b * k, n: e, k: f, transposeB: true, beta: 1)
        let inputs = meanOverCells(projected, rows: b, cells: k, width: e)
        // The image's share of the gates (B,4H) = x · Wᵀ, the same at every step.
        gemm(&imagePart, inputs, inputWeight, m: b, n: 4 * h, k: e, transposeB: true)

        var attended = attention ? [Float](repeating: 0, count: steps * b * k * e) : []
        var weights = attention ? [Float](repeating: 0, count: steps * b * k) : []
        var contexts = attention ? [Float](repeating: 0, count: steps * b * e) : []
        var query = [Float](repeating: 0, count: attention ? b * e : 0)
        for t in 0..<steps {
            let withImage = imageInput == .everyStep || t == 0
            gates.withUnsafeMutableBufferPointer { a in
                let at = a.baseAddress! + t * b * 4 * h
                for s in 0..<b {
                    for j in 0..<(4 * h) { at[s * 4 * h + j] = gateBias[j] + (withImage ? imagePart[s * 4 * h + j] : 0) }
                }
                if t > 0 {
                    hiddens.withUnsafeBufferPointer { hs in
                        // += h_{t−1} (B,H) · Uᵀ (H,4H)
                        gemm(at, hs.baseAddress! + (t - 1) * b * h, hiddenWeight, m: b, n: 4 * h, k: h, transposeB: true, beta: 1)
                        // q (B,E) = h_{t−1} · Dᵀ
                        if attention && withImage {
                            gemm(&query, hs.baseAddress! + (t - 1) * b * h, attentionHidden, m: b, n: e, k: h, transposeB: true)
                        }
                    }
                }
                if attention && withImage {
                    attended.withUnsafeMutableBufferPointer { u in
                        weights.withUnsafeMutableBufferPointer { alpha in
                            contexts.withUnsafeMutableBufferPointer { ctx in
                                query.withUnsafeBufferPointer { q in
                                attendStep(projected: projected, query: t > 0 ? q.baseAddress! : nil, score: attentionScore,
                                           cells: u.baseAddress! + t * b * k * e, weights: alpha.baseAddress! + t * b * k,
                                           context: ctx.baseAddress! + t * b * e, rows: b, cellCount: k, width: e)
                                // += ctx_t (B,E) · W_cᵀ (E,4H)
                                gemm(at, ctx.baseAddress! + t * b * e, contextWeight, m: b, n: 4 * h, k: e, transposeB: true, beta: 1)
                                }
                            }
                        }
                    }
                }
                cells.withUnsafeMutableBufferPointer { c in
                    hiddens.withUnsafeMutableBufferPointer { hs in
                        lstmCellStep(at, cellPrevious: t > 0 ? UnsafePointer(c.baseAddress! + (t - 1) * b * h) : nil,
                                     cell: c.baseAddress! + t * b * h, hidden: hs.baseAddress! + t * b * h, rows: b, hiddenSize: h)
                    }
                }
            }
        }
        // logits (T·B,V+1) = h (T·B,H) · Oᵀ + b_o: every step in one product.
        for r in 0..<(steps * b) { for j in 0..<v { logits[r * v + j] = outputBias[j] } }
        gemm(&logits, hiddens, outputWeight, m: steps * b, n: v, k: h, transposeB: true, beta: 1)
        var pooled: [Float] = []
        if imageToOutput {
            // The image's share of the logits (B,V+1) = f̄ (B,F) · Sᵀ or x (B,E) · Sᵀ, the same at every step.
            if directSource == .feature { pooled = meanOverCells(features, rows: b, cells: k, width: f) }
            let source = directSource == .feature ? pooled : inputs
            let direct = matmul(source, outputImageWeight, m: b, n: v, k: directWidth, transposeB: true)
            for t in 0..<steps {
                let offset = t * b * v
                for r in 0..<(b * v) { logits[offset + r] += direct[r] }
            }
        }
        return TagActivations(batchSize: b, steps: steps, features: features, pooled: pooled, projected: projected,
                              inputs: inputs, attentionCells: attended, attentionWeights: weights, contexts: contexts,
                              gates: gates, cells: cells, hiddens: hiddens, logits: logits)
    }
}
