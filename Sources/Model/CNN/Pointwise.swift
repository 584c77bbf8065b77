// 1×1 convolutions (and the stem's im2col product): out (O,P) = w (O,K) · x (K,P)
// through OpenBLAS's sgemm, then bias, residual and ReLU6 in one epilogue pass.

/// out (O,P) ← act(w (O,K) · x (K,P) + bias (O) [+ residual (O,P)]).
public func pointwiseConv(
    _ out: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, outChannels: Int, inChannels: Int, positions: Int,
    activation: Activation, residual: UnsafePointer<Float>? = nil
) {
    gemm(out, weight, x, m: outChannels, n: positions, k: inChannels)
    biasActivation(out, bias: bias, channels: outChannels, positions: positions, ldOut: positions,
                   activation: activation, residual: residual)
}
