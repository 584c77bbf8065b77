/// One training triplet (q, d⁺, d⁻) plus the captions the text losses use.
/// Lv gets its own positive `visualPositive` ≠ q, since φqᵀφq = 1 says nothing.
public struct Triplet: Sendable, Equatable {
    public var query: Int, positive: Int, negative: Int, visualPositive: Int  // photos
    public var queryCaption: Int, positiveCaption: Int, negativeCaption: Int  // caption rows
}

/// Draws triplets by caption similarity (Gordo & Larlus): every caption is a
/// query once per epoch; d⁺ is drawn from q itself and its `positivePool − 1`
/// most tf-idf-similar photos (q is trivially its own most similar photo, and
/// the one text search must find); Lv's positive is drawn from the
/// `visualNeighbours` most similar other photos; d⁻ is a random photo less
/// similar to q than both positives (if a few draws find none, the least
/// similar drawn).
public struct TripletSampler: Sendable {
    public let similarity: CaptionSimilarity
    public let captionsOfPhoto: [[Int]]
    public let positivePool: Int
    public let visualNeighbours: Int

    public init(similarity: CaptionSimilarity, captionsOfPhoto: [[Int]], positivePool: Int, visualNeighbours: Int = 3) {
        self.similarity = similarity
        self.captionsOfPhoto = captionsOfPhoto
        self.positivePool = max(1, positivePool)
        self.visualNeighbours = max(1, visualNeighbours)
    }

    /// One epoch of triplets in random order.
    public func epoch(using rng: inout SeededGenerator) -> [Triplet] {
        var queries: [(photo: Int, caption: Int)] = []
        for (photo, captions) in captionsOfPhoto.enumerated() { for c in captions { queries.append((photo, c)) } }
        queries.shuffle(using: &rng)
        let n = captionsOfPhoto.count
        return queries.map { q in
            let pool = [q.photo] + similarity.neighbours[q.photo].prefix(positivePool - 1)
            let positive = pool[Int.random(in: 0..<pool.count, using: &rng)]
            let neighbours = similarity.neighbours[q.photo].prefix(visualNeighbours)
            let visualPositive = neighbours.isEmpty ? q.photo : neighbours[neighbours.startIndex + Int.random(in: 0..<neighbours.count, using: &rng)]
            let positiveSimilarity = min(similarity.similarity(q.photo, positive), similarity.similarity(q.photo, visualPositive))
            // A few random draws; keep the first less similar than d⁺, else the least similar seen.
            var negative = q.photo, negativeSimilarity = Float.infinity
            for _ in 0..<20 {
                let candidate = Int.random(in: 0..<n, using: &rng)
                guard candidate != q.photo, candidate != positive, candidate != visualPositive else { continue }
                let s = similarity.similarity(q.photo, candidate)
                if s < negativeSimilarity { (negative, negativeSimilarity) = (candidate, s) }
                if s < positiveSimilarity { break }
            }
            let positiveCaptions = captionsOfPhoto[positive].filter { $0 != q.caption }
            let positiveCaption = positiveCaptions.isEmpty ? q.caption : positiveCaptions.randomElement(using: &rng)!
            let negativeCaption = captionsOfPhoto[negative].randomElement(using: &rng) ?? q.caption
            return Triplet(query: q.photo, positive: positive, negative: negative, visualPositive: visualPositive,
                           queryCaption: q.caption, positiveCaption: positiveCaption, negativeCaption: negativeCaption)
        }
    }
}
