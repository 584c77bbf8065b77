import Foundation

// The joint-space score s = θ·φ explained down to the backbone features f.
// φ = normalise(z), z = b(logits) + W f + c, b = normalise(Σ_{top-T} p_k C_k).
// The normalisations are positive scalings, so the contributions to θ·z are:
//   f_j (Wᵀθ)_j for each feature (the learned direct path),
//   p_k (C_k·θ)/‖Σ p C‖ for each top-T class k (the zero-shot bridge),
//   θ·c (a bias: excluded).
// EB gives each of these units its positive share, then passes each class's
// share down the classifier row (logits = FC f + bias) to f. The classifier
// units are counted as positive: a class wins through what raises its logit,
// whatever the logit's sign.

extension Excitation {
    /// The signal on the pooled features f (F) for the joint score θ·φ.
    /// θ (D) the query embedding, f (F) features, logits (K), classifier (K,F).
    /// EB: P(f), optionally for −θ (the c-MWP dual); gradient: ∂s/∂f.
    public static func joint(_ model: JointModel, query theta: [Float], features f: [Float], logits: [Float],
                             classifier: [Float], method: Method = .excitation,
                             negatedTop: Bool = false) throws -> [Float] {
        let (d, fw, k) = (model.dimension, model.parameters.featureWidth, model.bridge.classCount)
        try SaliencyError.check("query embedding", theta.count, d)
        try SaliencyError.check("joint features", f.count, fw)
        try SaliencyError.check("joint logits", logits.count, k)
        try SaliencyError.check("classifier (K,F)", classifier.count, k * fw)
        let query = negatedTop ? theta.map { -$0 } : theta
        switch method {
        case .excitation:
            return try jointExcitation(model, query: query, features: f, logits: logits, classifier: classifier)
        case .gradient:
            return jointGradient(model, query: query, features: f, logits: logits, classifier: classifier)
        }
    }

    private static func jointExcitation(_ model: JointModel, query theta: [Float], features f: [Float],
                                        logits: [Float], classifier: [Float]) throws -> [Float] {
        let (d, fw, k) = (model.dimension, model.parameters.featureWidth, model.bridge.classCount)
        // Direct path: v (F) = Wᵀθ.
        let v = matmul(model.parameters.imageWeight, theta, m: fw, n: 1, k: d, transposeA: true)
        var direct = zip(f, v).map { max($0 * $1, 0) }
        // Bridge path: the top-T classes' contributions p_k (C_k·θ) / ‖Σ p C‖.
        let probabilities = softmax(logits)
        let top = Array(probabilities.indices.sorted { probabilities[$0] > probabilities[$1] }.prefix(model.bridge.topT))
        var mixed = [Float](repeating: 0, count: d)
        for c in top { for j in 0..<d { mixed[j] += probabilities[c] * model.bridge.classText[c * d + j] } }
        let norm = max(mixed.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        var classShare = [Float](repeating: 0, count: k)
        for c in top {
            var alignment: Float = 0
            for j in 0..<d { alignment += model.bridge.classText[c * d + j] * theta[j] }
            classShare[c] = max(probabilities[c] * alignment / norm, 0)
        }
        let total = direct.reduce(0, +) + classShare.reduce(0, +)
        guard total > zeroDenominator else { return [Float](repeating: 0, count: fw) }
        direct = direct.map { $0 / total }
        classShare = classShare.map { $0 / total }
        let throughClasses = try dense(pOut: classShare, input: f, weight: classifier, outputs: k, inputs: fw)
        return zip(direct, throughClasses).map(+)
    }

    private static func jointGradient(_ model: JointModel, query theta: [Float], features f: [Float],
                                      logits: [Float], classifier: [Float]) -> [Float] {
        let (d, fw, k) = (model.dimension, model.parameters.featureWidth, model.bridge.classCount)
        // z without the bridge: W f + c (D).
        var rest = matmul(model.parameters.imageWeight, f, m: d, n: 1, k: fw)
        for j in 0..<d { rest[j] += model.parameters.imageBias[j] }
        func score(_ l: [Float]) -> (s: Float, z: [Float]) {
            let z = zip(model.bridge.forward(logits: l, batch: 1), rest).map(+)
            let norm = max(z.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
            return (zip(z, theta).reduce(0) { $0 + $1.0 * $1.1 } / norm, z)
        }
        let (s, z) = score(logits)
        let norm = max(z.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        // ∂s/∂z = (θ − s φ)/‖z‖, then ∂s/∂f through W.
        let dz = (0..<d).map { (theta[$0] - s * z[$0] / norm) / norm }
        var df = matmul(model.parameters.imageWeight, dz, m: fw, n: 1, k: d, transposeA: true)
        // The bridge (top-T selection and softmax) by central differences on the logits.
        let step: Float = 1e-2
        var dLogits = [Float](repeating: 0, count: k)
        var probe = logits
        for c in 0..<k {
            probe[c] = logits[c] + step
            let up = score(probe).s
            probe[c] = logits[c] - step
            dLogits[c] = (up - score(probe).s) / (2 * step)
            probe[c] = logits[c]
        }
        let throughClasses = matmul(classifier, dLogits, m: fw, n: 1, k: k, transposeA: true)
        for j in 0..<fw { df[j] += throughClasses[j] }
        return df
    }

    /// logits (K) → probabilities (K).
    static func softmax(_ logits: [Float]) -> [Float] {
        let peak = logits.max() ?? 0
        let e = logits.map { Foundation.exp($0 - peak) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
