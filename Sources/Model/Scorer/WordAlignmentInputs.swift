// Region–word alignment as scorer inputs: each query word's step also reads
// how well the photo shows it, the best cell's similarity to the word
// (Karpathy & Fei-Fei's max_r φ_rᵀθ_t) and the whole photo's, so the LSTM
// learns which words must be seen and how much. Words are GloVe tokens; the
// similarities come from the sentence encoder's contextual WordPiece tokens
// taken into the joint space, so each GloVe word is matched to the pieces
// that spell it. R = cells, D = joint dimension, P = pieces, n = words.

/// How many alignment values each word step carries.
public enum WordAlignmentInputs {
    public static let count = 2
    /// Similarities are ~0.1–0.6; scaled to the GloVe values' range (±1).
    public static let scale: Float = 4

    /// For each GloVe token, the WordPiece positions (0-based, `[CLS]` and
    /// `[SEP]` excluded) that spell it, nil when none do (an `[UNK]`, or a
    /// split the two tokenizers disagree on). Pieces starting "##" continue
    /// a word; a GloVe token may span several words ("n't" is n ' t).
    public static func pieceRanges(words: [String], pieces: [String]) -> [Range<Int>?] {
        var starts: [Int] = []
        var texts: [String] = []
        for (i, piece) in pieces.enumerated() {
            if piece.hasPrefix("##"), !texts.isEmpty { texts[texts.count - 1] += piece.dropFirst(2) } else {
                starts.append(i); texts.append(piece)
            }
        }
        // Spelled from word `start`, the words start..<end, or nil.
        func spell(_ word: String, from start: Int) -> Int? {
            var spelled = ""
            for w in start..<texts.count {
                spelled += texts[w]
                if spelled == word { return w + 1 }
                if spelled.count >= word.count || !word.hasPrefix(spelled) { return nil }
            }
            return nil
        }
        var cursor = 0
        return words.map { word in
            // A word the tokenizers split differently is skipped: the next ones resynchronise.
            for start in cursor..<min(cursor + 4, texts.count) {
                if let end = spell(word, from: start) {
                    defer { cursor = end }
                    return starts[start]..<(end < starts.count ? starts[end] : pieces.count)
                }
            }
            return nil
        }
    }

    /// Per word (n) its `count` values: [max over its pieces of max_r
    /// φ_rᵀθ_p, max over its pieces of φᵀθ_p] × scale; zeros for words
    /// without pieces. cells (R,D), photo (D), pieces θ (P,D), unit rows.
    public static func values(ranges: [Range<Int>?], pieces theta: UnsafePointer<Float>, pieceCount: Int,
                              cells: UnsafePointer<Float>, cellCount r: Int, photo: UnsafePointer<Float>,
                              dimension d: Int) -> [Float] {
        // similarities (P, R+1): every piece against every cell and the photo.
        var cellSimilarity = [Float](repeating: 0, count: pieceCount * r)
        if pieceCount > 0 {
            gemm(&cellSimilarity, theta, cells, m: pieceCount, n: r, k: d, transposeB: true)
        }
        var photoSimilarity = [Float](repeating: 0, count: pieceCount)
        for p in 0..<pieceCount {
            var s: Float = 0
            for j in 0..<d { s += theta[p * d + j] * photo[j] }
            photoSimilarity[p] = s
        }
        return values(ranges: ranges, cellSimilarity: cellSimilarity, photoSimilarity: photoSimilarity, cellCount: r)
    }

    /// The same from the similarities: cellSimilarity (P,R) of each piece
    /// with each cell, photoSimilarity (P) with the whole photo.
    public static func values(ranges: [Range<Int>?], cellSimilarity: [Float], photoSimilarity: [Float],
                              cellCount r: Int) -> [Float] {
        let pieceCount = photoSimilarity.count
        var out = [Float](repeating: 0, count: ranges.count * count)
        for (t, range) in ranges.enumerated() {
            guard let range, range.upperBound <= pieceCount, !range.isEmpty, r > 0 else { continue }
            var best = -Float.infinity, whole = -Float.infinity
            for p in range {
                best = max(best, cellSimilarity[(p * r)..<((p + 1) * r)].max() ?? 0)
                whole = max(whole, photoSimilarity[p])
            }
            out[t * count] = best * scale
            out[t * count + 1] = whole * scale
        }
        return out
    }

    /// Region–word alignment S = mean_p max_r of cellSimilarity (P,R); 0
    /// without pieces.
    public static func alignment(cellSimilarity: [Float], pieceCount: Int, cellCount r: Int) -> Float {
        guard pieceCount > 0, r > 0 else { return 0 }
        var total: Float = 0
        for p in 0..<pieceCount { total += cellSimilarity[(p * r)..<((p + 1) * r)].max()! }
        return total / Float(pieceCount)
    }
}

extension EncodedQuery {
    /// The query with `extra` (n, m) values appended to each word's vector.
    public func appending(_ extra: [Float], width m: Int) -> EncodedQuery {
        precondition(extra.count == count * m, "appending: \(extra.count) values for \(count) words × \(m)")
        var rows = [Float]()
        rows.reserveCapacity(count * (dimension + m))
        for t in 0..<count {
            rows += vectors[(t * dimension)..<((t + 1) * dimension)]
            rows += extra[(t * m)..<((t + 1) * m)]
        }
        return EncodedQuery(tokens: tokens, vectors: rows, isOOV: isOOV, dimension: dimension + m)
    }
}
