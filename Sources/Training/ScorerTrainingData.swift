import Model

/// What scorer training and identification read, precomputed: per photo its
/// backbone feature, per caption its GloVe-encoded query and the photos the
/// joint space ranks nearest to it. N = photos, M = captions, F = feature width.
public struct ScorerTrainingData: Sendable {
    public let features: [Float]          // f (N,F)
    public let featureWidth: Int
    public let queries: [EncodedQuery]    // (M)
    public let photoOfCaption: [Int]      // (M)
    /// Per caption: other photos by decreasing joint-space similarity to it
    /// (the distractors a reranker actually faces); empty when not computed.
    public let hardNegatives: [[Int]]
    /// Captions with at least one token (the only ones a sequence can be made of).
    public let usableCaptions: [Int]
    /// Alignment inputs appended to each word when the scorer reads them.
    public var pairAlignment: PairWordAlignment?

    public var photoCount: Int { features.count / featureWidth }

    public init(features: [Float], featureWidth: Int, queries: [EncodedQuery], photoOfCaption: [Int],
                hardNegatives: [[Int]] = []) {
        precondition(features.count % featureWidth == 0 && queries.count == photoOfCaption.count
                     && (hardNegatives.isEmpty || hardNegatives.count == queries.count), "ScorerTrainingData: shapes")
        self.features = features
        self.featureWidth = featureWidth
        self.queries = queries
        self.photoOfCaption = photoOfCaption
        self.hardNegatives = hardNegatives
        usableCaptions = queries.indices.filter { queries[$0].count > 0 }
    }

    /// Caption `caption`'s words as the scorer reads them against `photo`.
    public func query(_ caption: Int, photo: Int) -> EncodedQuery {
        pairAlignment?.query(queries[caption], caption: caption, photo: photo) ?? queries[caption]
    }

    /// Word-input width the scorer needs: GloVe plus any alignment values.
    public var wordInputWidth: Int {
        (queries.first?.dimension ?? 0) + (pairAlignment == nil ? 0 : WordAlignmentInputs.count)
    }

    /// Logits of caption `caption` against each of `photos`, one batch.
    public func logits(_ parameters: ScorerParameters, caption: Int, photos: [Int]) throws -> [Float] {
        guard pairAlignment != nil else {
            var rows = [Float](); rows.reserveCapacity(photos.count * featureWidth)
            for p in photos { rows += feature(p) }
            return try rows.withUnsafeBufferPointer {
                try parameters.score(queries[caption], features: $0.baseAddress!, count: photos.count)
            }
        }
        let batch = try ScorerBatch(features: photos.map(feature), queries: photos.map { query(caption, photo: $0) })
        return try parameters.forward(batch).logits
    }

    /// f (F) of one photo.
    public func feature(_ photo: Int) -> [Float] {
        Array(features[(photo * featureWidth)..<((photo + 1) * featureWidth)])
    }

    /// The training view of a subset of photos (and their captions), renumbered.
    public func restricted(toPhotos photos: [Int]) -> ScorerTrainingData {
        var newIndex = [Int](repeating: -1, count: photoCount)
        for (i, p) in photos.enumerated() { newIndex[p] = i }
        var rows = [Float](); rows.reserveCapacity(photos.count * featureWidth)
        for p in photos { rows += feature(p) }
        let kept = queries.indices.filter { newIndex[photoOfCaption[$0]] >= 0 }
        var view = ScorerTrainingData(
            features: rows, featureWidth: featureWidth, queries: kept.map { queries[$0] },
            photoOfCaption: kept.map { newIndex[photoOfCaption[$0]] },
            hardNegatives: hardNegatives.isEmpty ? [] : kept.map { hardNegatives[$0].compactMap { newIndex[$0] >= 0 ? newIndex[$0] : nil } })
        view.pairAlignment = pairAlignment?.restricted(photos: photos, captions: kept)
        return view
    }
}

/// For each query row, the `count` photos with the highest dot product,
/// best first, leaving out the query's own photo.
/// queries (M,D), photos (N,D), ownPhoto (M) → (M) lists of photo indices.
public func nearestPhotos(queries: [Float], photos: [Float], dimension d: Int, ownPhoto: [Int], count k: Int) -> [[Int]] {
    let m = ownPhoto.count, n = photos.count / d
    precondition(queries.count == m * d && photos.count == n * d, "nearestPhotos: shapes")
    var result: [[Int]] = []
    result.reserveCapacity(m)
    let chunk = 512
    var start = 0
    while start < m {
        let rows = min(chunk, m - start)
        // scores (rows,N) = queries[start…] (rows,D) · photosᵀ
        let block = Array(queries[(start * d)..<((start + rows) * d)])
        let scores = matmul(block, photos, m: rows, n: n, k: d, transposeB: true)
        for r in 0..<rows {
            let own = ownPhoto[start + r]
            var best: [(Float, Int)] = []
            best.reserveCapacity(k + 1)
            for p in 0..<n where p != own {
                let s = scores[r * n + p]
                if best.count < k || s > best[best.count - 1].0 {
                    let at = best.firstIndex { $0.0 < s } ?? best.count
                    best.insert((s, p), at: at)
                    if best.count > k { best.removeLast() }
                }
            }
            result.append(best.map(\.1))
        }
        start += rows
    }
    return result
}
