import CBLAS

extension Excitation {
    /// EB through a dense layer y = W x + b.
    /// pOut (O), x (I), w (O,I), y (O) or nil when every unit is ≥ 0 → pIn (I).
    public static func dense(pOut: [Float], input x: [Float], weight w: [Float],
                             outputs: Int, inputs: Int, output y: [Float]? = nil) throws -> [Float] {
        try pointwise(pOut: pOut, input: x, weight: w, outChannels: outputs, inChannels: inputs, pixels: 1, output: y)
    }

    /// EB through a 1×1 convolution y = W x + b applied at every pixel.
    /// pOut (O,HW), x (C,HW), w (O,C), y (O,HW) or nil when every unit is ≥ 0
    /// (only its signs are used) → pIn (C,HW).
    public static func pointwise(pOut: [Float], input x: [Float], weight w: [Float],
                                 outChannels o: Int, inChannels c: Int, pixels n: Int,
                                 output y: [Float]? = nil) throws -> [Float] {
        try SaliencyError.check("pointwise pOut", pOut.count, o * n)
        try SaliencyError.check("pointwise input", x.count, c * n)
        try SaliencyError.check("pointwise weight", w.count, o * c)
        if let y { try SaliencyError.check("pointwise output", y.count, o * n) }
        let (wPos, wNeg) = signParts(w)
        let (xPos, xNeg) = signParts(x)
        // Per unit: excite (O,HW) = W⁺x⁺ + W⁻x⁻ ≥ 0, inhibit (O,HW) = W⁻x⁺ + W⁺x⁻ ≤ 0.
        var excite = [Float](repeating: 0, count: o * n), inhibit = excite
        gemm(&excite, wPos, xPos, m: o, n: n, k: c)
        gemm(&excite, wNeg, xNeg, m: o, n: n, k: c, beta: 1)
        // A negative unit's winners are its negative contributions: z = −inhibit.
        var ratioPos = [Float](repeating: 0, count: o * n), ratioNeg = ratioPos
        if let y, y.contains(where: { $0 < 0 }) {
            gemm(&inhibit, wNeg, xPos, m: o, n: n, k: c)
            gemm(&inhibit, wPos, xNeg, m: o, n: n, k: c, beta: 1)
            for i in 0..<(o * n) {
                if y[i] < 0 {
                    if -inhibit[i] > zeroDenominator { ratioNeg[i] = pOut[i] / -inhibit[i] }
                } else if excite[i] > zeroDenominator {
                    ratioPos[i] = pOut[i] / excite[i]
                }
            }
        } else {
            ratioPos = ratios(pOut, excite)
        }
        // pIn (C,HW) = x⁺ ⊙ (W⁺ᵀ rPos − W⁻ᵀ rNeg) + x⁻ ⊙ (W⁻ᵀ rPos − W⁺ᵀ rNeg)
        var forPos = [Float](repeating: 0, count: c * n), forNeg = forPos
        gemm(&forPos, wPos, ratioPos, m: c, n: n, k: o, transposeA: true)
        gemm(&forNeg, wNeg, ratioPos, m: c, n: n, k: o, transposeA: true)
        if ratioNeg.contains(where: { $0 != 0 }) {
            gemm(&forPos, wNeg, ratioNeg, m: c, n: n, k: o, transposeA: true, alpha: -1, beta: 1)
            gemm(&forNeg, wPos, ratioNeg, m: c, n: n, k: o, transposeA: true, alpha: -1, beta: 1)
        }
        var pIn = [Float](repeating: 0, count: c * n)
        for i in 0..<(c * n) { pIn[i] = xPos[i] * forPos[i] + xNeg[i] * forNeg[i] }
        return pIn
    }

    /// v (N) → (max(v,0), min(v,0)) (N each).
    static func signParts(_ v: [Float]) -> ([Float], [Float]) {
        (v.map { max($0, 0) }, v.map { min($0, 0) })
    }

    /// pOut (N), z (N) → pOut / z (N), zero where the unit has no excitatory input.
    static func ratios(_ pOut: [Float], _ z: [Float]) -> [Float] {
        var r = [Float](repeating: 0, count: pOut.count)
        for i in 0..<pOut.count where z[i] > zeroDenominator { r[i] = pOut[i] / z[i] }
        return r
    }
}
