// Grad-CAM (Selvaraju et al.) conditioned on the text: the gradient of the
// joint score with respect to the last convolutional map A (the 7×7×1280
// head, before pooling), channel weights α_c = the spatial mean of ∂s/∂A_c,
// map = ReLU(Σ_c α_c A_c). φ reads the pooled f = mean over cells of A, so
// ∂s/∂A_{c,r} = (∂s/∂f_c)/R at every cell r. The score is θ·z before φ's
// normalisation, as Grad-CAM takes a class's logit rather than its
// probability: the cosine's gradient (θ − sφ)/‖z‖ points at what the photo
// lacks, not at what matched.

extension Excitation {
    /// ∂s/∂A (C,R) for the head map A (C,R) channel-major (the pool's input).
    public static func jointGradientAtHead(_ model: JointModel, query theta: [Float], head a: [Float], cells r: Int,
                                           logits: [Float], classifier: [Float], normalised: Bool = false) throws -> [Float] {
        let c = model.parameters.featureWidth
        try SaliencyError.check("head map (C,R)", a.count, c * r)
        let f = (0..<c).map { ch in a[(ch * r)..<((ch + 1) * r)].reduce(0, +) / Float(r) }
        let df = try jointScoreGradient(model, query: theta, features: f, logits: logits, classifier: classifier,
                                        normalised: normalised).gradient
        var out = [Float](repeating: 0, count: c * r)
        for ch in 0..<c { for p in 0..<r { out[ch * r + p] = df[ch] / Float(r) } }
        return out
    }

    /// ReLU(Σ_c α_c A_c) on the head grid (height,width), α_c = mean_r ∂s/∂A_{c,r}.
    public static func gradCAM(gradient: [Float], head a: [Float], channels: Int, height: Int, width: Int) throws -> SaliencyMap {
        let r = height * width
        try SaliencyError.check("Grad-CAM gradient", gradient.count, channels * r)
        try SaliencyError.check("Grad-CAM head map", a.count, channels * r)
        var map = [Float](repeating: 0, count: r)
        for ch in 0..<channels {
            let alpha = gradient[(ch * r)..<((ch + 1) * r)].reduce(0, +) / Float(r)
            if alpha == 0 { continue }
            for p in 0..<r { map[p] += alpha * a[ch * r + p] }
        }
        return SaliencyMap(checkedWidth: width, height: height, values: map.map { max($0, 0) })
    }
}
