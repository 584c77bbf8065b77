extension ScorerParameters {
    /// Similarities σ(logit) of one query against K candidate photos, for
    /// reranking. features: K rows of F. The words' input projections W·w_t + b
    /// are computed once and shared; the recurrence runs over all K candidates
    /// as one (K,H)·(H,4H) product per step.
    public func score(_ query: EncodedQuery, features: [[Float]]) throws -> [Float] {
        let f = shape.featureSize
        var rows = [Float](); rows.reserveCapacity(features.count * f)
        for row in features {
            guard row.count == f else { throw ScorerError.shapeMismatch("feature of \(row.count) values, expected \(f)") }
            rows += row
        }
        return try rows.withUnsafeBufferPointer {
            try score(query, features: $0.baseAddress!, count: features.count).map(sigmoid)
        }
    }

    /// Logits of one query against K candidates. features (K,F) → logits (K).
    public func score(_ query: EncodedQuery, features: UnsafePointer<Float>, count k: Int) throws -> [Float] {
        guard query.count > 0 else { throw ScorerError.emptyQuery }
        guard query.dimension == shape.wordDimension else {
            throw ScorerError.shapeMismatch("word dimension \(query.dimension), expected \(shape.wordDimension)")
        }
        guard k > 0 else { return [] }
        return logits(wordGateInputs: wordGateInputs([query]), perCandidate: false, words: query.count, features: features, count: k)
    }

    /// Logits of K queries of the same length, query r against candidate r
    /// (a query whose word inputs depend on the photo, e.g. with alignment
    /// values). features (K,F) → logits (K); one batched recurrence.
    public func score(_ queries: [EncodedQuery], features: UnsafePointer<Float>) throws -> [Float] {
        guard let n = queries.first?.count else { return [] }
        guard n > 0 else { throw ScorerError.emptyQuery }
        guard queries.allSatisfy({ $0.count == n && $0.dimension == shape.wordDimension }) else {
            throw ScorerError.shapeMismatch("queries of different lengths, or word dimension other than \(shape.wordDimension)")
        }
        return logits(wordGateInputs: wordGateInputs(queries), perCandidate: true, words: n, features: features, count: queries.count)
    }

    /// Word gate inputs (Q·n, 4H) = x·Wᵀ + b of the queries' words, OOV → the learned vector.
    private func wordGateInputs(_ queries: [EncodedQuery]) -> [Float] {
        let (e, h) = (shape.wordDimension, shape.hiddenSize)
        var words = [Float]()
        words.reserveCapacity(queries.reduce(0) { $0 + $1.vectors.count })
        for query in queries {
            var vectors = query.vectors
            for t in 0..<query.count where query.isOOV[t] { for d in 0..<e { vectors[t * e + d] = oovVector[d] } }
            words += vectors
        }
        let rows = words.count / e
        var wordPre = [Float](repeating: 0, count: rows * 4 * h)
        for t in 0..<rows { for j in 0..<(4 * h) { wordPre[t * 4 * h + j] = gateBias[j] } }
        gemm(&wordPre, words, inputWeight, m: rows, n: 4 * h, k: e, transposeB: true, beta: 1)
        return wordPre
    }

    /// The recurrence over K candidates: the image step, then n word steps
    /// whose gate inputs are wordPre (n,4H) for all, or (K,n,4H) one per
    /// candidate with `perCandidate`. features (K,F) → logits (K).
    private func logits(wordGateInputs wordPre: [Float], perCandidate: Bool, words n: Int,
                        features: UnsafePointer<Float>, count k: Int) -> [Float] {
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        // Image step: x₀ (K,E) = features·Pᵀ + b_p; pre (K,4H) = x₀·Wᵀ + b.
        var imageInput = [Float](repeating: 0, count: k * e)
        gemm(&imageInput, features, projection, m: k, n: e, k: f, transposeB: true)
        for r in 0..<k { for d in 0..<e { imageInput[r * e + d] += projectionBias[d] } }
        var pre = [Float](repeating: 0, count: k * 4 * h)
        for r in 0..<k { for j in 0..<(4 * h) { pre[r * 4 * h + j] = gateBias[j] } }
        gemm(&pre, imageInput, inputWeight, m: k, n: 4 * h, k: e, transposeB: true, beta: 1)

        var cell = [Float](repeating: 0, count: k * h)
        var nextCell = cell
        var hidden = cell
        pre.withUnsafeMutableBufferPointer { pre in
            reluLSTMCellStep(pre.baseAddress!, cellPrevious: nil, cell: &cell, hidden: &hidden, rows: k, hiddenSize: h)
            for t in 0..<n {
                // pre (K,4H) = word gate inputs + h (K,H) · Uᵀ
                wordPre.withUnsafeBufferPointer { word in
                    for r in 0..<k {
                        let row = perCandidate ? r * n + t : t
                        (pre.baseAddress! + r * 4 * h).update(from: word.baseAddress! + row * 4 * h, count: 4 * h)
                    }
                }
                gemm(pre.baseAddress!, hidden, hiddenWeight, m: k, n: 4 * h, k: h, transposeB: true, beta: 1)
                reluLSTMCellStep(pre.baseAddress!, cellPrevious: cell, cell: &nextCell, hidden: &hidden, rows: k, hiddenSize: h)
                swap(&cell, &nextCell)
            }
        }
        // logits (K) = h (K,H) · w + b
        var logits = [Float](repeating: outputBias[0], count: k)
        gemv(&logits, hidden, outputWeight, rows: k, columns: h, beta: 1)
        return logits
    }
}
