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
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        guard query.count > 0 else { throw ScorerError.emptyQuery }
        guard query.dimension == e else { throw ScorerError.shapeMismatch("word dimension \(query.dimension), expected \(e)") }
        guard k > 0 else { return [] }
        let n = query.count
        // Word inputs (n,E), OOV → learned vector; their gate inputs (n,4H) = x·Wᵀ + b.
        var words = query.vectors
        for t in 0..<n where query.isOOV[t] { for d in 0..<e { words[t * e + d] = oovVector[d] } }
        var wordPre = [Float](repeating: 0, count: n * 4 * h)
        for t in 0..<n { for j in 0..<(4 * h) { wordPre[t * 4 * h + j] = gateBias[j] } }
        gemm(&wordPre, words, inputWeight, m: n, n: 4 * h, k: e, transposeB: true, beta: 1)

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
                // pre (K,4H) = word gate inputs broadcast + h (K,H) · Uᵀ
                wordPre.withUnsafeBufferPointer { word in
                    for r in 0..<k { (pre.baseAddress! + r * 4 * h).update(from: word.baseAddress! + t * 4 * h, count: 4 * h) }
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
