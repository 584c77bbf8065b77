import CBLAS

// Row-major matrix products over OpenBLAS, shared by every network here.
// Shapes are written on each function: (M,K) means M rows of K floats.

/// out (M,N) = alpha * a (M,K) · b (K,N) + beta * out.
/// With `transposeA`, `a` is stored (K,M); with `transposeB`, `b` is stored (N,K).
@inlinable
public func gemm(
    _ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
    m: Int, n: Int, k: Int,
    transposeA: Bool = false, transposeB: Bool = false,
    alpha: Float = 1, beta: Float = 0
) {
    let lda = transposeA ? m : k
    let ldb = transposeB ? k : n
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, out, Int32(n))
}

/// y (M) = alpha * a (M,N) · x (N) + beta * y; with `transpose`, y (N) = aᵀ · x (M).
@inlinable
public func gemv(
    _ y: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
    rows: Int, columns: Int, transpose: Bool = false, alpha: Float = 1, beta: Float = 0
) {
    cblas_sgemv(CblasRowMajor, transpose ? CblasTrans : CblasNoTrans,
                Int32(rows), Int32(columns), alpha, a, Int32(columns), x, 1, beta, y, 1)
}

/// Array convenience: a (M,K) · b (K,N) → (M,N).
public func matmul(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                   transposeA: Bool = false, transposeB: Bool = false) -> [Float] {
    precondition(a.count == m * k && b.count == k * n, "matmul: shapes (\(m),\(k))·(\(k),\(n)) vs \(a.count), \(b.count)")
    var out = [Float](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            out.withUnsafeMutableBufferPointer { po in
                gemm(po.baseAddress!, pa.baseAddress!, pb.baseAddress!, m: m, n: n, k: k,
                     transposeA: transposeA, transposeB: transposeB)
            }
        }
    }
    return out
}

/// Scales `v` in place to unit L2 norm; returns the norm before scaling
/// (a zero vector stays zero).
@discardableResult
public func normalizeL2(_ v: UnsafeMutableBufferPointer<Float>) -> Float {
    let norm = cblas_snrm2(Int32(v.count), v.baseAddress, 1)
    if norm > 0 { cblas_sscal(Int32(v.count), 1 / norm, v.baseAddress, 1) }
    return norm
}

public func normalizedL2(_ v: [Float]) -> [Float] {
    var copy = v
    _ = copy.withUnsafeMutableBufferPointer { normalizeL2($0) }
    return copy
}

public func dot(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return cblas_sdot(Int32(a.count), a, 1, b, 1)
}
