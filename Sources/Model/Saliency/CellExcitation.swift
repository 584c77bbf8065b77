// Excitation Backprop started from the query, cell by cell. The top layer is
// the attention over cells: the query's evidence is a_r, the cell weights of
// CellWeighting (they sum to 1), so cell r receives probability a_r. Inside a
// cell, the score unit s_r = θ·z_r, z_r = b(l_r) + W a_r + c, passes it on
// as the joint rule does (JointExcitation.swift) for one photo:
//   to each channel j of the cell: (a_rj (Wᵀθ)_j)⁺ (the direct path),
//   to each top-T class k of the cell: (p_rk (C_k·θ)/‖Σ p C‖)⁺ (the bridge),
// normalised over both; each class share then goes down the classifier row
// to the cell's channels (l_r = FC a_r + bias, bias excluded). The result is
// a signal on the head map (C,R) whose cell totals are the a_r: the 7×7 map
// it gives is the cell weighting itself, and BackboneExcitation carries it
// down to the 14×14 block for a finer one.

extension Excitation {
    /// P on the head map a (C,R) from cell weights (R) for query θ (D).
    /// cells: the photo's CellSpace; classifier (K,C).
    public static func cells(_ model: JointModel, query theta: [Float], space: CellSpace, weights: [Float],
                             classifier: [Float]) throws -> [Float] {
        let (d, c, k, r) = (model.dimension, model.parameters.featureWidth, model.bridge.classCount, space.cells)
        try SaliencyError.check("query embedding", theta.count, d)
        try SaliencyError.check("cell weights", weights.count, r)
        try SaliencyError.check("classifier (K,C)", classifier.count, k * c)
        try SaliencyError.check("cell space width", space.head.count, c * r)
        let v = matmul(model.parameters.imageWeight, theta, m: c, n: 1, k: d, transposeA: true)
        // C_k·θ for every class (K).
        let alignment = matmul(model.bridge.classText, theta, m: k, n: 1, k: d)
        var direct = [Float](repeating: 0, count: c * r)
        var classShare = [Float](repeating: 0, count: k * r)  // (K,R) for the pointwise rule
        for p in 0..<r {
            let l = Array(space.logits[(p * k)..<((p + 1) * k)])
            let probabilities = softmax(l)
            let top = l.indices.sorted { l[$0] > l[$1] }.prefix(model.bridge.topT)
            var mixed = [Float](repeating: 0, count: d)
            for cls in top { for j in 0..<d { mixed[j] += probabilities[cls] * model.bridge.classText[cls * d + j] } }
            let norm = max(mixed.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            var total: Float = 0
            for ch in 0..<c {
                let share = max(space.head[ch * r + p] * v[ch], 0)
                direct[ch * r + p] = share
                total += share
            }
            for cls in top {
                let share = max(probabilities[cls] * alignment[cls] / norm, 0)
                classShare[cls * r + p] = share
                total += share
            }
            guard total > zeroDenominator else {
                for ch in 0..<c { direct[ch * r + p] = 0 }
                for cls in top { classShare[cls * r + p] = 0 }
                continue
            }
            let scale = weights[p] / total
            for ch in 0..<c { direct[ch * r + p] *= scale }
            for cls in top { classShare[cls * r + p] *= scale }
        }
        let throughClasses = try pointwise(pOut: classShare, input: space.head, weight: classifier,
                                           outChannels: k, inChannels: c, pixels: r)
        return zip(direct, throughClasses).map(+)
    }
}
