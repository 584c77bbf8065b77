import Model

// Reranking as ScorerRerankPolicy describes: the joint space retrieves, then
// its top K are reordered by LSTM logit + weight × joint similarity (θ·φ).

/// 1-based rank of each caption's own photo, with the joint space alone and
/// after reranking its top K under each of `weights`.
/// photos (N,D), captions (M,D) joint embeddings; data gives features and queries.
public func rerankedRanks(_ data: ScorerTrainingData, parameters: ScorerParameters, photoEmbeddings: [Float],
                          captionEmbeddings: [Float], dimension d: Int, topK: Int,
                          weights: [Float]) throws -> (joint: [Int], reranked: [[Int]]) {
    let n = data.photoCount
    let k = min(topK, n)
    var jointRanks: [Int] = []
    var reranked = [[Int]](repeating: [], count: weights.count)
    for caption in data.usableCaptions {
        let own = data.photoOfCaption[caption]
        let query = Array(captionEmbeddings[(caption * d)..<((caption + 1) * d)])
        // scores (N) = photos (N,D) · θ
        var scores = [Float](repeating: 0, count: n)
        gemv(&scores, photoEmbeddings, query, rows: n, columns: d)
        let order = (0..<n).sorted { scores[$0] > scores[$1] }
        let jointRank = order.firstIndex(of: own)! + 1
        jointRanks.append(jointRank)
        guard jointRank <= k else {
            for w in weights.indices { reranked[w].append(jointRank) }
            continue
        }
        let candidates = Array(order.prefix(k))
        let logits = try data.logits(parameters, caption: caption, photos: candidates)
        let ownPosition = candidates.firstIndex(of: own)!
        for (w, weight) in weights.enumerated() {
            let combined = zip(logits, candidates).map { $0 + weight * scores[$1] }
            let target = combined[ownPosition]
            // Ties resolve in joint-space order.
            let above = combined.indices.filter { combined[$0] > target || (combined[$0] == target && $0 < ownPosition) }.count
            reranked[w].append(above + 1)
        }
    }
    return (jointRanks, reranked)
}
