import Model

// Reranking as ScorerRerankPolicy describes: the joint space retrieves, then
// its top K are reordered by LSTM logit + weight × joint similarity (θ·φ).

/// 1-based rank of each caption's own photo, with the joint space alone and
/// after reranking its top K under each of `weights`: LSTM logit + w × θ·φ,
/// plus `alignmentWeight` × the region–word alignment S when the data has it.
/// photos (N,D), captions (M,D) joint embeddings; data gives features and queries.
public func rerankedRanks(_ data: ScorerTrainingData, parameters: ScorerParameters, photoEmbeddings: [Float],
                          captionEmbeddings: [Float], dimension d: Int, topK: Int, weights: [Float],
                          alignmentWeight: Float = 0) throws -> (joint: [Int], reranked: [[Int]]) {
    let alignment = alignmentWeight == 0 ? nil : data.pairAlignment?.alignment
    return try jointThenReranked(captions: data.usableCaptions, ownPhoto: data.photoOfCaption, photoEmbeddings: photoEmbeddings,
                                 captionEmbeddings: captionEmbeddings, dimension: d, topK: topK,
                                 variants: weights.count) { caption, candidates, joint in
        let logits = try data.logits(parameters, caption: caption, photos: candidates)
        let aligned = alignment.map { a in candidates.map { alignmentWeight * a.score(photo: $0, caption: caption) } }
            ?? Array(repeating: 0, count: candidates.count)
        return weights.map { w in candidates.indices.map { logits[$0] + w * joint[$0] + aligned[$0] } }
    }
}

/// The ranks of each caption's own photo by the joint space, and after its
/// top K are reordered by each of the score lists `rescore(caption,
/// candidates, their joint similarities)` returns (ties keep joint order;
/// photos past K keep their joint rank; `variants` lists, each K scores).
/// photos (N,D), captions (M,D).
public func jointThenReranked(captions: [Int], ownPhoto: [Int], photoEmbeddings: [Float], captionEmbeddings: [Float],
                              dimension d: Int, topK: Int, variants: Int,
                              rescore: (Int, [Int], [Float]) throws -> [[Float]]) rethrows -> (joint: [Int], reranked: [[Int]]) {
    let n = photoEmbeddings.count / d
    let k = min(topK, n)
    var jointRanks: [Int] = []
    var reranked = [[Int]](repeating: [], count: variants)
    for caption in captions {
        let own = ownPhoto[caption]
        let query = Array(captionEmbeddings[(caption * d)..<((caption + 1) * d)])
        // scores (N) = photos (N,D) · θ
        var scores = [Float](repeating: 0, count: n)
        gemv(&scores, photoEmbeddings, query, rows: n, columns: d)
        let order = (0..<n).sorted { scores[$0] > scores[$1] }
        let jointRank = order.firstIndex(of: own)! + 1
        jointRanks.append(jointRank)
        guard jointRank <= k else {
            for v in 0..<variants { reranked[v].append(jointRank) }
            continue
        }
        let candidates = Array(order.prefix(k))
        let lists = try rescore(caption, candidates, candidates.map { scores[$0] })
        precondition(lists.count == variants, "jointThenReranked: \(lists.count) score lists for \(variants) variants")
        for (v, combined) in lists.enumerated() {
            let ownPosition = jointRank - 1, target = combined[ownPosition]
            let above = combined.indices.filter { combined[$0] > target || (combined[$0] == target && $0 < ownPosition) }.count
            reranked[v].append(above + 1)
        }
    }
    return (jointRanks, reranked)
}
