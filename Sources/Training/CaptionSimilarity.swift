import Model

/// The tf-idf caption proxy over one photo set: per photo the L2-normalised
/// tf-idf vector of all its captions, and its most similar photos.
public struct CaptionSimilarity: Sendable {
    public let vectors: [SparseVector]
    /// neighbours[i]: up to k other photos, most caption-similar first.
    public let neighbours: [[Int]]

    /// `model` gives vocabulary and IDF (from the training captions).
    public init(captions: [[String]], model: TfIdfModel, neighbourCount k: Int) {
        let vectors = captions.map { model.vector($0) }
        self.vectors = vectors
        // Inverted index: term → (photo, weight); scores accumulate per query.
        var postings = [[(photo: Int32, weight: Float)]](repeating: [], count: model.termCount)
        for (i, v) in vectors.enumerated() {
            for (t, w) in zip(v.indices, v.values) { postings[Int(t)].append((Int32(i), w)) }
        }
        var neighbours: [[Int]] = []
        neighbours.reserveCapacity(vectors.count)
        var scores = [Float](repeating: 0, count: vectors.count)
        var touched: [Int] = []
        for (i, v) in vectors.enumerated() {
            for (t, w) in zip(v.indices, v.values) {
                for posting in postings[Int(t)] {
                    let j = Int(posting.photo)
                    if scores[j] == 0 { touched.append(j) }
                    scores[j] += w * posting.weight
                }
            }
            let best = touched.filter { $0 != i }.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
            neighbours.append(Array(best.prefix(k)))
            for j in touched { scores[j] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        self.neighbours = neighbours
    }

    public func similarity(_ i: Int, _ j: Int) -> Float { i == j ? 1 : vectors[i].dot(vectors[j]) }

    /// The (P,P) similarity matrix (for NDCG on evaluation sets).
    public func matrix() -> [Float] {
        let p = vectors.count
        var m = [Float](repeating: 0, count: p * p)
        for i in 0..<p { for j in i..<p { let s = similarity(i, j); m[i * p + j] = s; m[j * p + i] = s } }
        return m
    }
}
