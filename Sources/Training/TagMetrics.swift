import Foundation

/// Ranking quality of predicted tag lists against ordered ground truth, as
/// in Yan, Wang & Liao: NDCG@k and Precision@k, each averaged over
/// k = 1…10 and over photos.
///
/// Relevance is graded by the ground-truth order: of n true tags, the one at
/// rank r (0-based) has relevance n − r, any other tag 0. DCG@k = Σ_{i<k}
/// rel_i / log₂(i + 2); NDCG@k divides by the DCG of the true order.
/// Precision@k = |top k ∩ truth| / k.
public enum TagMetrics {
    public static let ks = Array(1...10)

    public static func ndcg(predicted: [Int], truth: [Int], k: Int) -> Double {
        let relevance = Dictionary(truth.enumerated().map { ($0.element, Double(truth.count - $0.offset)) }, uniquingKeysWith: { a, _ in a })
        var dcg = 0.0, ideal = 0.0
        for i in 0..<k {
            let discount = log2(Double(i + 2))
            if i < predicted.count { dcg += (relevance[predicted[i]] ?? 0) / discount }
            if i < truth.count { ideal += Double(truth.count - i) / discount }
        }
        return ideal > 0 ? dcg / ideal : 0
    }

    public static func precision(predicted: [Int], truth: [Int], k: Int) -> Double {
        let relevant = Set(truth)
        return Double(predicted.prefix(k).filter { relevant.contains($0) }.count) / Double(k)
    }

    /// (NDCG, Precision) averaged over k = 1…10 and over photos with a non-empty truth.
    public static func averages(predicted: [[Int]], truth: [[Int]]) -> (ndcg: Double, precision: Double) {
        precondition(predicted.count == truth.count)
        var n = 0.0, p = 0.0, photos = 0
        for (prediction, list) in zip(predicted, truth) where !list.isEmpty {
            photos += 1
            for k in ks {
                n += ndcg(predicted: prediction, truth: list, k: k)
                p += precision(predicted: prediction, truth: list, k: k)
            }
        }
        let scale = Double(max(photos, 1) * ks.count)
        return (n / scale, p / scale)
    }

    /// (NDCG@k, Precision@k) for each k in `ks`, averaged over photos with a non-empty truth.
    public static func perK(predicted: [[Int]], truth: [[Int]]) -> [(k: Int, ndcg: Double, precision: Double)] {
        precondition(predicted.count == truth.count)
        let pairs = zip(predicted, truth).filter { !$0.1.isEmpty }
        let photos = Double(max(pairs.count, 1))
        return ks.map { k in
            (k, pairs.map { ndcg(predicted: $0.0, truth: $0.1, k: k) }.reduce(0, +) / photos,
             pairs.map { precision(predicted: $0.0, truth: $0.1, k: k) }.reduce(0, +) / photos)
        }
    }
}
