import Model

/// The score below which a search result is almost surely unrelated, chosen
/// on captioned photos: the lowest score that still keeps `keep` of the true
/// matches a person would see (those ranked in the top 10).
/// Q = queries, P = photos, D = joint dimension.
public enum RelevanceCutoff {
    /// The `1 − keep` quantile of `scores` (lower end), so that at least
    /// `keep` of them are ≥ the threshold. nil for no scores.
    public static func threshold(keeping keep: Double, of scores: [Float]) -> Float? {
        precondition(keep > 0 && keep <= 1, "RelevanceCutoff: keep must be in (0, 1]")
        guard !scores.isEmpty else { return nil }
        let sorted = scores.sorted()
        // Drop at most floor((1 − keep)·n) of the lowest scores.
        let dropped = Int(((1 - keep) * Double(sorted.count)).rounded(.down))
        return sorted[min(dropped, sorted.count - 1)]
    }

    /// Scores of relevant photos that rank in each query's top 10, for
    /// queries (Q,D) with several relevant photos each (`relevant[q]`).
    public static func relevantScoresInTop10(queries: [Float], photos: [Float], dimension d: Int,
                                             relevant: [Set<Int>]) -> [Float] {
        let q = relevant.count, p = photos.count / d
        precondition(queries.count == q * d && photos.count == p * d, "RelevanceCutoff: shapes")
        guard q > 0 else { return [] }
        let scores = matmul(queries, photos, m: q, n: p, k: d, transposeB: true)
        var kept: [Float] = []
        for r in 0..<q {
            let top = (0..<p).sorted { scores[r * p + $0] > scores[r * p + $1] }.prefix(10)
            for j in top where relevant[r].contains(j) { kept.append(scores[r * p + j]) }
        }
        return kept
    }

    /// Scores of the (query, own photo) pairs where the own photo ranks in the top 10.
    public static func trueMatchScoresInTop10(queries: [Float], photos: [Float], dimension d: Int,
                                              photoOfQuery: [Int]) -> [Float] {
        let q = photoOfQuery.count, p = photos.count / d
        precondition(queries.count == q * d && photos.count == p * d, "RelevanceCutoff: shapes")
        var kept: [Float] = []
        let chunk = 512
        for start in stride(from: 0, to: q, by: chunk) {
            let rows = min(chunk, q - start)
            let scores = matmul(Array(queries[(start * d)..<((start + rows) * d)]), photos,
                                m: rows, n: p, k: d, transposeB: true)  // (rows,P)
            for r in 0..<rows {
                let own = photoOfQuery[start + r]
                let score = scores[r * p + own]
                var better = 0
                for j in 0..<p where j != own && scores[r * p + j] >= score { better += 1 }
                if better < 10 { kept.append(score) }
            }
        }
        return kept
    }

    /// For each query (Q,D), how many of its top `k` photos score below `threshold`.
    public static func removedFromTop(_ k: Int, queries: [Float], photos: [Float], dimension d: Int,
                                      threshold: Float) -> [Int] {
        let q = queries.count / d, p = photos.count / d
        guard q > 0, p > 0 else { return [] }
        let scores = matmul(queries, photos, m: q, n: p, k: d, transposeB: true)
        return (0..<q).map { r in
            let top = scores[(r * p)..<((r + 1) * p)].sorted(by: >).prefix(k)
            return top.filter { $0 < threshold }.count
        }
    }
}
