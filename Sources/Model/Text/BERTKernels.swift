import CBLAS
import Foundation

// The element-wise and per-row pieces of a BERT layer. N = tokens (all
// sequences of a batch packed row after row), C = hidden size, I =
// intermediate size, L = one sequence's length, D = head size.

/// out (N,C) = x (N,K) · wᵀ + bias, with w (C,K) stored (out, in) and bias (C).
/// With `accumulate`, out must hold a residual on entry and receives
/// residual + x·wᵀ + bias.
func bertLinear(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                tokens: Int, outFeatures: Int, inFeatures: Int, accumulate: Bool = false) {
    for n in 0..<tokens {
        let row = out + n * outFeatures
        if accumulate {
            cblas_saxpy(Int32(outFeatures), 1, bias, 1, row, 1)
        } else {
            row.update(from: bias, count: outFeatures)
        }
    }
    gemm(out, x, weight, m: tokens, n: outFeatures, k: inFeatures, transposeB: true, beta: 1)
}

/// x (N,C) ← LayerNorm(x) · weight (C) + bias (C), over each row, in place.
func bertLayerNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   tokens: Int, channels: Int, epsilon: Float) {
    for n in 0..<tokens {
        let row = x + n * channels
        var sum: Float = 0
        for c in 0..<channels { sum += row[c] }
        let mean = sum / Float(channels)
        var squares: Float = 0
        for c in 0..<channels {
            let d = row[c] - mean
            squares += d * d
        }
        let scale = 1 / (squares / Float(channels) + epsilon).squareRoot()
        for c in 0..<channels { row[c] = (row[c] - mean) * scale * weight[c] + bias[c] }
    }
}

/// x (count) ← GELU(x) = x/2 · (1 + erf(x/√2)), the exact form BERT uses.
func bertGELU(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let inverseSqrt2: Float = 0.70710678118654752
    for i in 0..<count {
        let v = x[i]
        x[i] = 0.5 * v * (1 + erff(v * inverseSqrt2))
    }
}

/// Multi-head self-attention of one sequence whose tokens are rows
/// 0..<L of q, k, v (each (L,C) with row stride C, heads side by side in
/// columns): context (L,C) ← softmax(q_h k_hᵀ / √D) v_h for each head h.
/// Only the sequence's own tokens are attended to, which is what the
/// attention mask does for a padded batch. `scores` is (L,L) scratch.
func bertSelfAttention(context: UnsafeMutablePointer<Float>,
                       query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                       scores: UnsafeMutablePointer<Float>,
                       length: Int, channels: Int, heads: Int) {
    let headSize = channels / heads
    let scale = 1 / Float(headSize).squareRoot()
    let (l, c, d) = (Int32(length), Int32(channels), Int32(headSize))
    for h in 0..<heads {
        let offset = h * headSize
        // scores (L,L) = scale · q_h (L,D) · k_h (L,D)ᵀ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l, l, d,
                    scale, query + offset, c, key + offset, c, 0, scores, l)
        for i in 0..<length { softmaxInPlace(scores + i * length, count: length) }
        // context_h (L,D) = scores (L,L) · v_h (L,D)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, l, d, l,
                    1, scores, l, value + offset, c, 0, context + offset, c)
    }
}

/// row (count) ← softmax(row), shifted by the maximum for stability.
func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, count: Int) {
    var maximum = -Float.infinity
    for j in 0..<count { maximum = max(maximum, row[j]) }
    var sum: Float = 0
    for j in 0..<count {
        let e = expf(row[j] - maximum)
        row[j] = e
        sum += e
    }
    let inverse = 1 / sum
    for j in 0..<count { row[j] *= inverse }
}
