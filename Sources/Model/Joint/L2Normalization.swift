// Row-wise L2 normalisation and its backward pass, used by φ and θ.

/// y (N,D) = x / ‖x‖ per row; norms (N) receives ‖x‖ (a zero row stays zero).
func l2NormalizeRowsForward(_ y: UnsafeMutablePointer<Float>, _ norms: UnsafeMutablePointer<Float>,
                            _ x: UnsafePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
        let xr = x + r * columns, yr = y + r * columns
        var sum: Float = 0
        for j in 0..<columns { sum += xr[j] * xr[j] }
        let norm = sum.squareRoot()
        norms[r] = norm
        let scale: Float = norm > 0 ? 1 / norm : 0
        for j in 0..<columns { yr[j] = xr[j] * scale }
    }
}

/// dx (N,D) = (dy − y (yᵀdy)) / ‖x‖ per row, given y (N,D), dy (N,D), norms (N).
/// Overwrites dx.
func l2NormalizeRowsBackward(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ y: UnsafePointer<Float>, _ norms: UnsafePointer<Float>, rows: Int, columns: Int) {
    for r in 0..<rows {
        let yr = y + r * columns, dyr = dy + r * columns, dxr = dx + r * columns
        guard norms[r] > 0 else { for j in 0..<columns { dxr[j] = 0 }; continue }
        var projection: Float = 0
        for j in 0..<columns { projection += yr[j] * dyr[j] }
        let scale = 1 / norms[r]
        for j in 0..<columns { dxr[j] = (dyr[j] - yr[j] * projection) * scale }
    }
}
