import Foundation

/// Text→image retrieval figures on the Karpathy protocol: every caption is a
/// query against all photos of the set; rank of its own photo (1 = first).
public struct RetrievalMetrics: Sendable, Equatable, Codable {
    public var photos: Int
    public var queries: Int
    public var recallAt1: Double
    public var recallAt5: Double
    public var recallAt10: Double
    public var medianRank: Double
    /// Image→image NDCG@10 against the tf-idf caption proxy (nil if not measured).
    public var proxyNDCGAt10: Double?

    /// R@1 + R@5 + R@10 in percent (the model-selection criterion).
    public var recallSum: Double { 100 * (recallAt1 + recallAt5 + recallAt10) }

    public init(ranks: [Int], photos: Int, proxyNDCGAt10: Double? = nil) {
        self.photos = photos
        queries = ranks.count
        let n = Double(max(ranks.count, 1))
        recallAt1 = Double(ranks.filter { $0 <= 1 }.count) / n
        recallAt5 = Double(ranks.filter { $0 <= 5 }.count) / n
        recallAt10 = Double(ranks.filter { $0 <= 10 }.count) / n
        medianRank = RetrievalMetrics.median(ranks)
        self.proxyNDCGAt10 = proxyNDCGAt10
    }

    /// One human-readable line: recalls in percent, median rank, proxy NDCG.
    public var summary: String {
        var line = String(format: "R@1 %5.1f  R@5 %5.1f  R@10 %5.1f  med r %5.1f", 100 * recallAt1, 100 * recallAt5,
                          100 * recallAt10, medianRank)
        if let ndcg = proxyNDCGAt10 { line += String(format: "  NDCG@10 %.3f", ndcg) }
        return line
    }

    static func median(_ values: [Int]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[mid]) : Double(sorted[mid - 1] + sorted[mid]) / 2
    }
}

/// 1-based rank of each query's own photo. queries (Q,D), photos (P,D),
/// photoOfQuery (Q). Ties count against the query (pessimistic).
public func retrievalRanks(queries: [Float], photos: [Float], dimension d: Int, photoOfQuery: [Int]) -> [Int] {
    let q = photoOfQuery.count, p = photos.count / d
    precondition(queries.count == q * d && photos.count == p * d, "retrievalRanks: shapes")
    var ranks = [Int](repeating: 0, count: q)
    let chunk = 512
    var start = 0
    while start < q {
        let rows = min(chunk, q - start)
        let block = Array(queries[(start * d)..<((start + rows) * d)])
        let scores = matmul(block, photos, m: rows, n: p, k: d, transposeB: true)  // (rows,P)
        for r in 0..<rows {
            let own = scores[r * p + photoOfQuery[start + r]]
            var better = 0
            for k in 0..<p where k != photoOfQuery[start + r] && scores[r * p + k] >= own { better += 1 }
            ranks[start + r] = better + 1
        }
        start += rows
    }
    return ranks
}

/// Mean NDCG@k of ranking every other photo by `predicted` similarity, with
/// gains `relevance` (both (P,P) row-major, the diagonal ignored).
public func meanNDCG(predicted: [Float], relevance: [Float], count p: Int, k: Int) -> Double {
    precondition(predicted.count == p * p && relevance.count == p * p, "meanNDCG: shapes")
    guard p > 1 else { return 0 }
    var total = 0.0
    for i in 0..<p {
        let others = (0..<p).filter { $0 != i }
        let byPrediction = others.sorted { predicted[i * p + $0] > predicted[i * p + $1] }
        let ideal = others.map { Double(relevance[i * p + $0]) }.sorted(by: >)
        var dcg = 0.0, idcg = 0.0
        for r in 0..<min(k, others.count) {
            let discount = 1 / log2(Double(r) + 2)
            dcg += Double(relevance[i * p + byPrediction[r]]) * discount
            idcg += ideal[r] * discount
        }
        total += idcg > 0 ? dcg / idcg : 0
    }
    return total / Double(p)
}
