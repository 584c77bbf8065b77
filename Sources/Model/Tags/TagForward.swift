import Foundation

extension TagParameters {
    /// Runs the ranker for `steps` steps over a batch of images and keeps
    /// every activation. features (B,F) → x (B,E) = f·Pᵀ + b_p;
    /// a_t (B,4H) = x·Wᵀ [every step, or t = 0 only] + h_{t−1}·Uᵀ + b;
    /// c_t, h_t (B,H); logits_t (B,V+1) = h_t·Oᵀ + b_o [+ f·Sᵀ with imageToOutput].
    public func forward(features: [Float], count b: Int, steps: Int) throws -> TagActivations {
        let (f, e, h, v) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize)
        guard features.count == b * f, b > 0, steps > 0 else {
            throw TagError.shapeMismatch("\(features.count) feature values for \(b) images of \(f), \(steps) steps")
        }
        var inputs = [Float](repeating: 0, count: b * e)
        var imagePart = [Float](repeating: 0, count: b * 4 * h)
        var gates = [Float](repeating: 0, count: steps * b * 4 * h)
        var cells = [Float](repeating: 0, count: steps * b * h)
        var hiddens = [Float](repeating: 0, count: steps * b * h)
        var logits = [Float](repeating: 0, count: steps * b * v)

        // x (B,E) = f (B,F) · Pᵀ + b_p
        for s in 0..<b { for d in 0..<e { inputs[s * e + d] = projectionBias[d] } }
        gemm(&inputs, features, projection, m: b, n: e, k: f, transposeB: true, beta: 1)
        // The image's share of the gates (B,4H) = x · Wᵀ, the same at every step.
        gemm(&imagePart, inputs, inputWeight, m: b, n: 4 * h, k: e, transposeB: true)

        gates.withUnsafeMutableBufferPointer { a in
            cells.withUnsafeMutableBufferPointer { c in
                hiddens.withUnsafeMutableBufferPointer { hs in
                    let (a, c, hs) = (a.baseAddress!, c.baseAddress!, hs.baseAddress!)
                    for t in 0..<steps {
                        let at = a + t * b * 4 * h
                        let withImage = imageInput == .everyStep || t == 0
                        for s in 0..<b {
                            for j in 0..<(4 * h) { at[s * 4 * h + j] = gateBias[j] + (withImage ? imagePart[s * 4 * h + j] : 0) }
                        }
                        if t > 0 {
                            // += h_{t−1} (B,H) · Uᵀ (H,4H)
                            gemm(at, hs + (t - 1) * b * h, hiddenWeight, m: b, n: 4 * h, k: h, transposeB: true, beta: 1)
                        }
                        lstmCellStep(at, cellPrevious: t > 0 ? UnsafePointer(c + (t - 1) * b * h) : nil,
                                     cell: c + t * b * h, hidden: hs + t * b * h, rows: b, hiddenSize: h)
                    }
                }
            }
        }
        // logits (T·B,V+1) = h (T·B,H) · Oᵀ + b_o: every step in one product.
        for r in 0..<(steps * b) { for j in 0..<v { logits[r * v + j] = outputBias[j] } }
        gemm(&logits, hiddens, outputWeight, m: steps * b, n: v, k: h, transposeB: true, beta: 1)
        if imageToOutput {
            // The image's share of the logits (B,V+1) = f (B,F) · Sᵀ, the same at every step.
            let direct = matmul(features, outputImageWeight, m: b, n: v, k: f, transposeB: true)
            for t in 0..<steps {
                let offset = t * b * v
                for r in 0..<(b * v) { logits[offset + r] += direct[r] }
            }
        }
        return TagActivations(batchSize: b, steps: steps, features: features, inputs: inputs, gates: gates,
                              cells: cells, hiddens: hiddens, logits: logits)
    }
}
