extension Excitation {
    /// EB through global average pooling y_c = mean_p x_cp: each channel's
    /// probability goes to its positions in proportion to x⁺ (the 1/HW weight
    /// is positive and cancels).
    /// pOut (C), x (C,HW) → pIn (C,HW).
    public static func globalAveragePool(pOut: [Float], input x: [Float], channels: Int, pixels: Int) throws -> [Float] {
        try SaliencyError.check("pool input", x.count, channels * pixels)
        try SaliencyError.check("pool pOut", pOut.count, channels)
        var pIn = [Float](repeating: 0, count: x.count)
        for c in 0..<channels {
            var total: Float = 0
            for p in 0..<pixels { total += max(x[c * pixels + p], 0) }
            guard total > zeroDenominator else { continue }
            let ratio = pOut[c] / total
            for p in 0..<pixels { pIn[c * pixels + p] = ratio * max(x[c * pixels + p], 0) }
        }
        return pIn
    }

    /// EB through ReLU / ReLU6: the signal passes unchanged to active units
    /// (pre-activation > 0, including units saturated at 6) and stops at the others.
    /// pOut (N), preActivation (N) → pIn (N).
    public static func activation(pOut: [Float], preActivation z: [Float]) throws -> [Float] {
        try SaliencyError.check("activation input", z.count, pOut.count)
        return zip(pOut, z).map { $1 > 0 ? $0 : 0 }
    }

    /// EB through a residual addition y = a + b: each unit's probability is split
    /// in proportion to the parts that share y's sign: a⁺ : b⁺ where y ≥ 0,
    /// a⁻ : b⁻ where y < 0 (dropped where y = 0 and neither branch is positive).
    /// pOut (N), a (N), b (N) → (pA (N), pB (N)).
    public static func residual(pOut: [Float], _ a: [Float], _ b: [Float]) throws -> (a: [Float], b: [Float]) {
        try SaliencyError.check("residual branch a", a.count, pOut.count)
        try SaliencyError.check("residual branch b", b.count, pOut.count)
        var pA = [Float](repeating: 0, count: pOut.count), pB = pA
        for i in 0..<pOut.count {
            let negative = a[i] + b[i] < 0
            let ap = negative ? max(-a[i], 0) : max(a[i], 0)
            let bp = negative ? max(-b[i], 0) : max(b[i], 0)
            let total = ap + bp
            guard total > zeroDenominator else { continue }
            pA[i] = pOut[i] * ap / total
            pB[i] = pOut[i] * bp / total
        }
        return (pA, pB)
    }

    /// Sums a (C,H,W) relevance over channels into a spatial map (H,W).
    public static func channelSum(_ p: [Float], channels: Int, height: Int, width: Int) throws -> SaliencyMap {
        try SaliencyError.check("channel sum input", p.count, channels * height * width)
        let hw = height * width
        var map = [Float](repeating: 0, count: hw)
        for c in 0..<channels { for i in 0..<hw { map[i] += p[c * hw + i] } }
        return SaliencyMap(checkedWidth: width, height: height, values: map)
    }
}
