import CBLAS
import CQuantGemm
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
/// Eight partial sums per reduction let the compiler keep them in vector
/// registers (one scalar accumulator is a serial chain it may not reorder).
func bertLayerNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                   tokens: Int, channels: Int, epsilon: Float) {
    let lanes = 8
    let vectorEnd = channels - channels % lanes
    for n in 0..<tokens {
        let row = x + n * channels
        var partial = SIMD8<Float>()
        var c = 0
        while c < vectorEnd {
            partial += UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self)
            c += lanes
        }
        var sum = partial.sum()
        while c < channels { sum += row[c]; c += 1 }
        let mean = sum / Float(channels)
        let meanVector = SIMD8<Float>(repeating: mean)
        partial = SIMD8<Float>()
        c = 0
        while c < vectorEnd {
            let d = UnsafeRawPointer(row + c).loadUnaligned(as: SIMD8<Float>.self) - meanVector
            partial += d * d
            c += lanes
        }
        var squares = partial.sum()
        while c < channels { let d = row[c] - mean; squares += d * d; c += 1 }
        let scale = 1 / (squares / Float(channels) + epsilon).squareRoot()
        for c in 0..<channels { row[c] = (row[c] - mean) * scale * weight[c] + bias[c] }
    }
}

/// x (count) ← GELU(x) = x/2 · (1 + erf(x/√2)), the exact form BERT uses,
/// with erf from the rational fit of `erfRational` (libm's erff is a call
/// per element and was a sixth of a query's encoding time), in C so that
/// it runs eight lanes wide with FMA where the CPU has them.
func bertGELU(_ x: UnsafeMutablePointer<Float>, count: Int, kernel: QuantizedKernel = .automatic) {
    pq_gelu(x, count, kernel.c)
}

/// erf(x) as x·P(x²)/Q(x²) on x clamped to [−4, 4] (where erf is ±1 in
/// float): within 5e-7 of the exact value everywhere, branch-free so the
/// loop above vectorises. The coefficients are the rational fit used by
/// Eigen and XLA for float erf.
@inline(__always)
func erfRational(_ value: Float) -> Float {
    let x = min(max(value, -4), 4)
    let x2 = x * x
    var p: Float = -2.72614225801306e-10
    p = p * x2 + 2.77068142495902e-08
    p = p * x2 - 2.10102402082508e-06
    p = p * x2 - 5.69250639462346e-05
    p = p * x2 - 7.34990630326855e-04
    p = p * x2 - 2.95459980854025e-03
    p = p * x2 - 1.60960333262415e-02
    var q: Float = -1.45660718464996e-05
    q = q * x2 - 2.13374055278905e-04
    q = q * x2 - 1.68282697438203e-03
    q = q * x2 - 7.37332916720468e-03
    q = q * x2 - 1.42647390514189e-02
    return x * p / q
}

/// Sequences up to this long (a query is about 8 tokens) run attention in
/// `pq_attention`: two OpenBLAS calls per head, 144 per sentence, cost more
/// in call overhead than the arithmetic. Longer ones go to sgemm, whose
/// blocking wins once L×L outgrows a few cache lines.
let bertSmallAttentionLength = Int(PQ_ATTENTION_MAX_LENGTH)

/// Multi-head self-attention of one sequence whose tokens are rows
/// 0..<L of q, k, v (each (L,C) with row stride C, heads side by side in
/// columns): context (L,C) ← softmax(q_h k_hᵀ / √D) v_h for each head h.
/// Only the sequence's own tokens are attended to, which is what the
/// attention mask does for a padded batch. `scores` is (L,L) scratch.
func bertSelfAttention(context: UnsafeMutablePointer<Float>,
                       query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                       scores: UnsafeMutablePointer<Float>,
                       length: Int, channels: Int, heads: Int, kernel: QuantizedKernel = .automatic) {
    if length <= bertSmallAttentionLength {
        smallSelfAttention(context: context, query: query, key: key, value: value,
                           length: length, channels: channels, heads: heads, kernel: kernel)
    } else {
        blasSelfAttention(context: context, query: query, key: key, value: value, scores: scores,
                          length: length, channels: channels, heads: heads)
    }
}

/// `bertSelfAttention` through two sgemm calls per head.
func blasSelfAttention(context: UnsafeMutablePointer<Float>,
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

/// `bertSelfAttention` for 1...bertSmallAttentionLength tokens, in C.
func smallSelfAttention(context: UnsafeMutablePointer<Float>,
                        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
                        length: Int, channels: Int, heads: Int, kernel: QuantizedKernel = .automatic) {
    precondition((1...bertSmallAttentionLength).contains(length), "smallSelfAttention: length out of range")
    let count = Int(pq_attention_scratch_count(Int32(channels / heads)))
    withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { scratch in
        pq_attention(context, query, key, value, Int32(length), Int32(channels), Int32(heads), scratch.baseAddress!, kernel.c)
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
