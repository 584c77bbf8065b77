// The search's second stage as it runs on indexed photos: the LSTM scorer
// with region–word alignment inputs, reading each candidate's cells from
// their stored int8 form. A query's WordPiece tokens are taken into the
// cell basis once (U θ_p), so a cell's similarity to a token is its step ×
// its coordinates · U θ_p, and no cell is rebuilt in D dimensions.
// D = joint dimension, r = basis rank, R = cells, P = pieces, n = words.

/// A query prepared for reranking.
public struct AlignedQuery: Sendable {
    /// The query's GloVe words (n).
    public let words: EncodedQuery
    /// Per word, the pieces that spell it (`WordAlignmentInputs.pieceRanges`).
    public let ranges: [Range<Int>?]
    /// θ_p (P, D): the pieces in the joint space, unit rows.
    public let pieces: [Float]
    /// U θ_p (P, r).
    public let projectedPieces: [Float]
    public let pieceCount: Int

    public init(words: EncodedQuery, ranges: [Range<Int>?], pieces: [Float], basis: CellBasis) {
        precondition(ranges.count == words.count && pieces.count % basis.dimension == 0, "AlignedQuery: shapes")
        self.words = words
        self.ranges = ranges
        self.pieces = pieces
        pieceCount = pieces.count / basis.dimension
        projectedPieces = basis.project(pieces)
    }
}

/// One candidate photo as the index stores it.
public struct AlignedCandidate: Sendable {
    /// The backbone's pooled feature (F), the LSTM's first input.
    public var feature: [Float]
    /// φ (D), the photo's joint-space vector.
    public var photo: [Float]
    /// Per cell (R) its step, and its int8 coordinates (R, r).
    public var cellScales: [Float]
    public var cellCoordinates: [Int8]
    /// θ·φ from the first stage.
    public var jointScore: Float

    public init(feature: [Float], photo: [Float], cellScales: [Float], cellCoordinates: [Int8], jointScore: Float) {
        self.feature = feature
        self.photo = photo
        self.cellScales = cellScales
        self.cellCoordinates = cellCoordinates
        self.jointScore = jointScore
    }
}

extension ScorerParameters {
    /// Combined scores (K) of one query against K candidates: LSTM logit
    /// (with each word's alignment to the photo as input) + policy.jointWeight
    /// × θ·φ + policy.alignmentWeight × S. Sort the top K by these.
    public func alignedScores(_ query: AlignedQuery, candidates: [AlignedCandidate], rank r: Int,
                              policy: ScorerRerankPolicy) throws -> [Float] {
        let d = query.pieces.count / max(query.pieceCount, 1)
        guard !candidates.isEmpty else { return [] }
        var queries: [EncodedQuery] = []
        var alignments: [Float] = []
        var features = [Float]()
        features.reserveCapacity(candidates.count * shape.featureSize)
        for candidate in candidates {
            let cells = candidate.cellScales.count
            guard candidate.cellCoordinates.count == cells * r, candidate.feature.count == shape.featureSize,
                  query.pieceCount == 0 || candidate.photo.count == d else {
                throw ScorerError.shapeMismatch("candidate of \(candidate.feature.count) feature values, \(candidate.photo.count)-d vector and \(candidate.cellCoordinates.count) coordinates for \(cells) cells at rank \(r)")
            }
            let (cellSimilarity, photoSimilarity) = Self.similarities(query, candidate, rank: r)
            let values = WordAlignmentInputs.values(ranges: query.ranges, cellSimilarity: cellSimilarity,
                                                    photoSimilarity: photoSimilarity, cellCount: cells)
            queries.append(query.words.appending(values, width: WordAlignmentInputs.count))
            alignments.append(WordAlignmentInputs.alignment(cellSimilarity: cellSimilarity, pieceCount: query.pieceCount,
                                                            cellCount: cells))
            features += candidate.feature
        }
        // One batched recurrence over the candidates, each with its own word inputs.
        let logits = try features.withUnsafeBufferPointer { try score(queries, features: $0.baseAddress!) }
        return candidates.indices.map {
            logits[$0] + policy.jointWeight * candidates[$0].jointScore + policy.alignmentWeight * alignments[$0]
        }
    }

    /// cellSimilarity (P,R) = step_c × coordinates_c · U θ_p; photoSimilarity (P) = θ_p · φ.
    static func similarities(_ query: AlignedQuery, _ candidate: AlignedCandidate, rank r: Int) -> ([Float], [Float]) {
        let (p, cells) = (query.pieceCount, candidate.cellScales.count)
        var cellSimilarity = [Float](repeating: 0, count: p * cells)
        var photoSimilarity = [Float](repeating: 0, count: p)
        guard p > 0 else { return (cellSimilarity, photoSimilarity) }
        let d = query.pieces.count / p
        // The cells widened once, (R, r), each row times its step; then one GEMM.
        var cellRows = [Float](repeating: 0, count: cells * r)
        for c in 0..<cells {
            let step = candidate.cellScales[c]
            for k in 0..<r { cellRows[c * r + k] = step * Float(candidate.cellCoordinates[c * r + k]) }
        }
        gemm(&cellSimilarity, query.projectedPieces, cellRows, m: p, n: cells, k: r, transposeB: true)
        for piece in 0..<p {
            var s: Float = 0
            for j in 0..<d { s += query.pieces[piece * d + j] * candidate.photo[j] }
            photoSimilarity[piece] = s
        }
        return (cellSimilarity, photoSimilarity)
    }
}
