#if canImport(Glibc)
import Glibc
#endif

/// Independent per-tag logistic regressions on the pooled feature: the
/// paper's linear baseline (they used SVMs), tags ranked by score.
public struct TagLinearClassifier: Sendable, Equatable {
    public let featureSize: Int
    public let tagCount: Int
    /// W (V,F), b (V): score_v = σ(W_v·f + b_v).
    public var weight: [Float]
    public var bias: [Float]

    public static let names = ["linear.weight", "linear.bias"]

    public init(featureSize: Int, tagCount: Int) {
        self.featureSize = featureSize
        self.tagCount = tagCount
        weight = .init(repeating: 0, count: tagCount * featureSize)
        bias = .init(repeating: 0, count: tagCount)
    }

    /// features (B,F) → logits (B,V).
    public func logits(features: [Float], count b: Int) -> [Float] {
        var out = [Float](repeating: 0, count: b * tagCount)
        for s in 0..<b { for j in 0..<tagCount { out[s * tagCount + j] = bias[j] } }
        gemm(&out, features, weight, m: b, n: tagCount, k: featureSize, transposeB: true, beta: 1)
        return out
    }

    /// Mean binary cross-entropy over (B,V) against labels (B,V) in {0,1};
    /// the gradient (dW (V,F), db (V)), with positives weighted by `positiveWeight`
    /// (tags are sparse: without it every score sinks towards 0).
    public func lossAndGradient(features: [Float], labels: [Float], count b: Int, positiveWeight: Float = 1)
        -> (loss: Float, weight: [Float], bias: [Float]) {
        let z = logits(features: features, count: b)
        var dz = [Float](repeating: 0, count: z.count)
        var loss: Float = 0
        let scale = 1 / Float(b)
        for i in z.indices {
            let y = labels[i], w: Float = y > 0 ? positiveWeight : 1
            // log(1+e^z) − y·z, stable for either sign.
            loss += w * (max(z[i], 0) - z[i] * y + logf(1 + expf(-abs(z[i]))))
            dz[i] = w * (1 / (1 + expf(-z[i])) - y) * scale
        }
        var dW = [Float](repeating: 0, count: weight.count), db = [Float](repeating: 0, count: tagCount)
        gemm(&dW, dz, features, m: tagCount, n: featureSize, k: b, transposeA: true)
        for s in 0..<b { for j in 0..<tagCount { db[j] += dz[s * tagCount + j] } }
        return (loss * scale, dW, db)
    }
}
