import Model

/// The region–word alignment inputs of a photo set for the scorer: which
/// WordPiece tokens spell each caption's GloVe words, the tokens' and the
/// photos' cells' joint embeddings, and the photos' pooled φ.
/// N = photos, R = cells, D = joint dimension.
public struct PairWordAlignment: Sendable {
    public let alignment: RegionWordAlignment
    /// Per caption, per GloVe word: its pieces in `alignment.tokens`.
    public let ranges: [[Range<Int>?]]
    /// φ (N,D) of each photo, unit rows.
    public let photoEmbeddings: [Float]

    public init(alignment: RegionWordAlignment, ranges: [[Range<Int>?]], photoEmbeddings: [Float]) {
        precondition(ranges.count == alignment.tokens.count, "PairWordAlignment: one range list per caption")
        self.alignment = alignment
        self.ranges = ranges
        self.photoEmbeddings = photoEmbeddings
    }

    /// Matches each caption's GloVe tokens to its WordPiece tokens.
    public static func ranges(texts: [String], queries: [EncodedQuery], encoder: SentenceEncoder) -> [[Range<Int>?]] {
        zip(texts, queries).map { text, query in
            let pieces = encoder.tokenize(text).dropFirst().dropLast().map { encoder.tokenString($0) }
            return WordAlignmentInputs.pieceRanges(words: query.tokens, pieces: Array(pieces))
        }
    }

    /// `query` (caption `caption`'s words) with each word's alignment to `photo` appended.
    public func query(_ query: EncodedQuery, caption: Int, photo: Int) -> EncodedQuery {
        let d = alignment.dimension, r = alignment.cellsPerPhoto
        let tokens = alignment.tokens[caption]
        let values = tokens.withUnsafeBufferPointer { theta in
            alignment.cells.withUnsafeBufferPointer { cells in
                photoEmbeddings.withUnsafeBufferPointer { photos in
                    WordAlignmentInputs.values(ranges: ranges[caption], pieces: theta.baseAddress ?? photos.baseAddress!,
                                               pieceCount: tokens.count / d, cells: cells.baseAddress! + photo * r * d,
                                               cellCount: r, photo: photos.baseAddress! + photo * d, dimension: d)
                }
            }
        }
        return query.appending(values, width: WordAlignmentInputs.count)
    }

    /// The view of photos `photos` and captions `captions` (old indices), renumbered in that order.
    public func restricted(photos: [Int], captions: [Int]) -> PairWordAlignment {
        let d = alignment.dimension, r = alignment.cellsPerPhoto
        let cells = photos.flatMap { alignment.cells[($0 * r * d)..<(($0 + 1) * r * d)] }
        let view = RegionWordAlignment(cells: cells, cellsPerPhoto: r, tokens: captions.map { alignment.tokens[$0] },
                                       dimension: d)
        return PairWordAlignment(alignment: view, ranges: captions.map { ranges[$0] },
                                 photoEmbeddings: photos.flatMap { photoEmbeddings[($0 * d)..<(($0 + 1) * d)] })
    }
}
