#if canImport(Glibc)
import Glibc
#endif

/// One step of soft attention over each image's K projected cells
/// (Show, Attend and Tell), for B images. Keys and values are the cells z_k
/// themselves, so the attention adds only D and w to the ranker.
/// z (B,K,E); query (B,E) = D·h_{t−1}, nil for zeros (t = 0); w (E).
/// Out: u (B,K,E) = tanh(z_k + q); α (B,K) = softmax_k(wᵀu_k); context (B,E) = Σ_k α_k z_k.
func attendStep(
    projected z: UnsafePointer<Float>, query: UnsafePointer<Float>?, score w: UnsafePointer<Float>,
    cells u: UnsafeMutablePointer<Float>, weights alpha: UnsafeMutablePointer<Float>, context: UnsafeMutablePointer<Float>,
    rows b: Int, cellCount k: Int, width e: Int
) {
    for s in 0..<b {
        let q = query.map { $0 + s * e }, a = alpha + s * k, ctx = context + s * e
        var top = -Float.infinity
        for cell in 0..<k {
            let zk = z + (s * k + cell) * e, uk = u + (s * k + cell) * e
            var score: Float = 0
            for d in 0..<e {
                uk[d] = tanhf(zk[d] + (q?[d] ?? 0))
                score += w[d] * uk[d]
            }
            a[cell] = score
            top = max(top, score)
        }
        var total: Float = 0
        for cell in 0..<k { a[cell] = expf(a[cell] - top); total += a[cell] }
        for d in 0..<e { ctx[d] = 0 }
        for cell in 0..<k {
            a[cell] /= total
            let zk = z + (s * k + cell) * e
            for d in 0..<e { ctx[d] += a[cell] * zk[d] }
        }
    }
}

/// BPTT through `attendStep`. dContext (B,E) = ∂L/∂ctx in.
/// dα_k = dctx·z_k; de_k = α_k(dα_k − Σ_j α_j dα_j); dpre_k = de_k w ⊙ (1 − u_k²).
/// Adds α_k dctx + dpre_k to dZ (B,K,E) and Σ_k de_k u_k to dw (E);
/// writes dQuery (B,E) = Σ_k dpre_k, the gradient of D·h_{t−1}.
func attendStepBackward(
    projected z: UnsafePointer<Float>, cells u: UnsafePointer<Float>, weights alpha: UnsafePointer<Float>,
    score w: UnsafePointer<Float>, dContext: UnsafePointer<Float>,
    dProjected dZ: UnsafeMutablePointer<Float>, dScore dw: UnsafeMutablePointer<Float>, dQuery: UnsafeMutablePointer<Float>,
    rows b: Int, cellCount k: Int, width e: Int
) {
    var dAlpha = [Float](repeating: 0, count: k)
    for s in 0..<b {
        let a = alpha + s * k, dctx = dContext + s * e, dq = dQuery + s * e
        var weighted: Float = 0
        for cell in 0..<k {
            let zk = z + (s * k + cell) * e
            var dot: Float = 0
            for d in 0..<e { dot += dctx[d] * zk[d] }
            dAlpha[cell] = dot
            weighted += a[cell] * dot
        }
        for d in 0..<e { dq[d] = 0 }
        for cell in 0..<k {
            let de = a[cell] * (dAlpha[cell] - weighted)
            let uk = u + (s * k + cell) * e, dzk = dZ + (s * k + cell) * e
            for d in 0..<e {
                let dPre = de * w[d] * (1 - uk[d] * uk[d])
                dzk[d] += a[cell] * dctx[d] + dPre
                dq[d] += dPre
                dw[d] += de * uk[d]
            }
        }
    }
}

/// rows (B,K,W) → (B,W): the mean over each image's K cells.
func meanOverCells(_ values: [Float], rows b: Int, cells k: Int, width: Int) -> [Float] {
    guard k > 1 else { return values }
    var out = [Float](repeating: 0, count: b * width)
    let scale = 1 / Float(k)
    for s in 0..<b {
        for cell in 0..<k {
            let offset = (s * k + cell) * width
            for d in 0..<width { out[s * width + d] += values[offset + d] * scale }
        }
    }
    return out
}
