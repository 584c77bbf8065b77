import CConvKernels

// 1×1 convolutions (and the stem's im2col product): out (O,P) = w (O,K) · x (K,P)
// with bias, residual and ReLU6. Two implementations: OpenBLAS followed by an
// epilogue pass, or photoq's register-blocked AVX-512 kernel with the epilogue
// applied in registers (faster on these thin shapes than OpenBLAS, whose
// kernels are tuned for large squares).

public enum PointwiseKernel: Sendable, Equatable {
    /// `cconv_pointwise`: chosen where the CPU has AVX-512.
    case native
    /// `cblas_sgemm` + `biasActivation`.
    case blas

    /// The best available here. Tests switch it to check both.
    nonisolated(unsafe) public static var selected: PointwiseKernel =
        DepthwiseKernel.nativeInstructionSet == "avx512f" ? .native : .blas
}

/// out (O,P) ← act(w (O,K) · x (K,P) + bias (O) [+ residual (O,P)]).
public func pointwiseConv(
    _ out: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, outChannels: Int, inChannels: Int, positions: Int,
    activation: Activation, residual: UnsafePointer<Float>? = nil
) {
    switch PointwiseKernel.selected {
    case .native:
        cconv_pointwise(out, weight, x, outChannels, positions, inChannels, bias, residual, activation == .relu6 ? 1 : 0)
    case .blas:
        gemm(out, weight, x, m: outChannels, n: positions, k: inChannels)
        biasActivation(out, bias: bias, channels: outChannels, positions: positions, ldOut: positions,
                       activation: activation, residual: residual)
    }
}
