import Foundation

// The ranking losses of Gordo & Larlus: L = ½ max(0, m − aᵀp + aᵀn) for an
// anchor a, a positive p and a negative n, all unit vectors (N,D) rows.

/// Which of the three losses to train, and their weights.
public struct LossWeights: Sendable, Equatable, CustomStringConvertible {
    public var visual: Float      // Lv: φq vs φ₊, φ₋
    public var imageToText: Float // Lt1: φq vs θ₊, θ₋
    public var textToImage: Float // Lt2: θq vs φ₊, φ₋

    public init(visual: Float, imageToText: Float, textToImage: Float) {
        self.visual = visual
        self.imageToText = imageToText
        self.textToImage = textToImage
    }

    public static let all = LossWeights(visual: 1, imageToText: 1, textToImage: 1)

    /// Parses "v,t1,t2" (any subset, unit weights) or with weights,
    /// "v=0.2,t1=0.5,t2" (a bare name weighs 1).
    public init?(list: String) {
        self.init(visual: 0, imageToText: 0, textToImage: 0)
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard let name = parts.first else { return nil }
            var weight: Float = 1
            if parts.count == 2 {
                guard let w = Float(parts[1]), w.isFinite, w >= 0 else { return nil }
                weight = w
            }
            switch name {
            case "v": visual = weight
            case "t1": imageToText = weight
            case "t2": textToImage = weight
            default: return nil
            }
        }
        if visual == 0 && imageToText == 0 && textToImage == 0 { return nil }
    }

    /// "v,t2" for unit weights, "v=0.2,t2" otherwise; parses back with `init(list:)`.
    public var description: String {
        [(visual, "v"), (imageToText, "t1"), (textToImage, "t2")].filter { $0.0 > 0 }
            .map { $0.0 == 1 ? $0.1 : "\($0.1)=\($0.0)" }.joined(separator: ",")
    }
}

/// Mean over the batch of ½ max(0, m − aᵢᵀpᵢ + aᵢᵀn_{k(i)}), times `weight`.
/// anchors (N,D), positives (N,D), negativePool (P,D), negativeIndex (N) into
/// the pool. Gradients are accumulated (+=) into the d-arrays of the same shapes.
public func tripletHingeLoss(
    anchors a: [Float], positives p: [Float], negativePool pool: [Float], negativeIndex: [Int],
    margin: Float, weight: Float, dimension d: Int,
    dAnchors: inout [Float], dPositives: inout [Float], dNegativePool: inout [Float]
) -> Float {
    let n = negativeIndex.count
    precondition(a.count == n * d && p.count == n * d && dAnchors.count == a.count && dPositives.count == p.count
                 && dNegativePool.count == pool.count, "tripletHingeLoss: shapes")
    guard n > 0, weight != 0 else { return 0 }
    var total: Float = 0
    let scale = weight / Float(n)
    for i in 0..<n {
        let k = negativeIndex[i]
        var positiveScore: Float = 0, negativeScore: Float = 0
        for j in 0..<d {
            positiveScore += a[i * d + j] * p[i * d + j]
            negativeScore += a[i * d + j] * pool[k * d + j]
        }
        let violation = margin - positiveScore + negativeScore
        guard violation > 0 else { continue }
        total += 0.5 * violation
        let g = 0.5 * scale
        for j in 0..<d {
            dAnchors[i * d + j] += g * (pool[k * d + j] - p[i * d + j])
            dPositives[i * d + j] -= g * a[i * d + j]
            dNegativePool[k * d + j] += g * a[i * d + j]
        }
    }
    return total * scale
}

/// VSE++ hardest negatives: for each anchor i the pool row k ≠ i with the
/// highest score aᵢᵀpool_k among those `allowed(i, k)` (caption-dissimilar
/// enough); falls back to `fallback[i]` when none is allowed.
/// anchors (N,D), pool (P,D).
public func hardestNegatives(anchors a: [Float], pool: [Float], dimension d: Int, fallback: [Int],
                             allowed: (Int, Int) -> Bool) -> [Int] {
    let n = a.count / d, poolCount = pool.count / d
    let scores = matmul(a, pool, m: n, n: poolCount, k: d, transposeB: true)  // (N,P)
    return (0..<n).map { i in
        var best = fallback[i], bestScore = -Float.infinity
        for k in 0..<poolCount where k != i && allowed(i, k) && scores[i * poolCount + k] > bestScore {
            best = k
            bestScore = scores[i * poolCount + k]
        }
        return best
    }
}
