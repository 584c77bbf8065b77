// ∂s/∂f of the joint score s = θ·φ(f), analytically, for the pooled φ:
//   logits l = FC f + bias, p = softmax(l), m = Σ_{c ∈ top-T} p_c C_c,
//   b = m/‖m‖, z = b + W f + c, φ = z/‖z‖.
// Backwards: ∂s/∂z = (θ − s φ)/‖z‖; ∂s/∂m = (∂s/∂b − b (b·∂s/∂b))/‖m‖;
// g_c = C_c·∂s/∂m on the top-T classes; ∂s/∂l_j = p_j ([j ∈ top] g_j − Σ_top p_c g_c)
// (the softmax runs over all K classes, the selection is locally constant);
// ∂s/∂f = Wᵀ ∂s/∂z + FCᵀ ∂s/∂l.

extension Excitation {
    /// θ (D), f (F), logits (K), classifier (K,F) → (s, ∂s/∂f (F)). With
    /// `normalised` false the score is θ·z, before φ's normalisation: the
    /// joint space's logit, whose gradient does not lose the part of θ that φ
    /// already matches (what Grad-CAM wants).
    public static func jointScoreGradient(_ model: JointModel, query theta: [Float], features f: [Float],
                                          logits: [Float], classifier: [Float],
                                          normalised: Bool = true) throws -> (score: Float, gradient: [Float]) {
        let (d, fw, k) = (model.dimension, model.parameters.featureWidth, model.bridge.classCount)
        try SaliencyError.check("query embedding", theta.count, d)
        try SaliencyError.check("joint features", f.count, fw)
        try SaliencyError.check("joint logits", logits.count, k)
        try SaliencyError.check("classifier (K,F)", classifier.count, k * fw)
        let p = softmax(logits)
        let top = Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(model.bridge.topT))
        let classText = model.bridge.classText
        var m = [Float](repeating: 0, count: d)
        for c in top { for j in 0..<d { m[j] += p[c] * classText[c * d + j] } }
        let mNorm = max(m.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let b = m.map { $0 / mNorm }
        var z = matmul(model.parameters.imageWeight, f, m: d, n: 1, k: fw)
        for j in 0..<d { z[j] += b[j] + model.parameters.imageBias[j] }
        let zNorm = max(z.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        let phi = z.map { $0 / zNorm }
        let cosine = zip(theta, phi).reduce(0) { $0 + $1.0 * $1.1 }
        let s = normalised ? cosine : cosine * zNorm
        let dz = normalised ? (0..<d).map { (theta[$0] - cosine * phi[$0]) / zNorm } : theta
        let bDotDz = zip(b, dz).reduce(0) { $0 + $1.0 * $1.1 }
        let dm = (0..<d).map { (dz[$0] - b[$0] * bDotDz) / mNorm }
        var g = [Float](repeating: 0, count: k)
        for c in top { for j in 0..<d { g[c] += classText[c * d + j] * dm[j] } }
        let mean = top.reduce(Float(0)) { $0 + p[$1] * g[$1] }
        let dLogits = (0..<k).map { p[$0] * (g[$0] - mean) }
        var df = matmul(model.parameters.imageWeight, dz, m: fw, n: 1, k: d, transposeA: true)
        let throughClasses = matmul(classifier, dLogits, m: fw, n: 1, k: k, transposeA: true)
        for j in 0..<fw { df[j] += throughClasses[j] }
        return (s, df)
    }
}
