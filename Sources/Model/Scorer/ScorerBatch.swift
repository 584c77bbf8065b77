/// B (image feature, query) pairs laid out for the LSTM: time-major, padded
/// to the longest query. Step 0 is the image; step t ≥ 1 is word t. A
/// sequence's output is read at its own last step, so padding steps (zero
/// inputs) never reach its score nor, in BPTT, its gradients.
public struct ScorerBatch: Sendable {
    public let count: Int
    /// T = 1 + the longest query's length.
    public let steps: Int
    public let featureSize: Int
    public let wordDimension: Int
    /// features (B, F).
    public let features: [Float]
    /// words (T−1, B, E), zeros at padding and OOV positions.
    public let words: [Float]
    /// isOOV (T−1, B).
    public let isOOV: [Bool]
    /// lastStep (B): the step whose hidden state scores sequence b (its word count).
    public let lastStep: [Int]
    /// activeRows (T): rows 0..<activeRows[t] cover every sequence still running
    /// at step t; later rows are skipped. Sorting a batch by decreasing length
    /// makes this exact and saves the padding work.
    public let activeRows: [Int]

    /// features[b] (F) pairs with queries[b]; queries must not be empty.
    public init(features: [[Float]], queries: [EncodedQuery]) throws {
        guard features.count == queries.count, let first = features.first, let query = queries.first else {
            throw ScorerError.shapeMismatch("\(features.count) features for \(queries.count) queries")
        }
        let (b, f, e) = (features.count, first.count, query.dimension)
        let longest = queries.map(\.count).max() ?? 0
        guard queries.allSatisfy({ $0.count > 0 }) else { throw ScorerError.emptyQuery }
        var featureRows = [Float](); featureRows.reserveCapacity(b * f)
        for row in features {
            guard row.count == f else { throw ScorerError.shapeMismatch("feature of \(row.count) values, expected \(f)") }
            featureRows += row
        }
        var words = [Float](repeating: 0, count: longest * b * e)
        var isOOV = [Bool](repeating: false, count: longest * b)
        for (s, q) in queries.enumerated() {
            guard q.dimension == e else { throw ScorerError.shapeMismatch("word dimension \(q.dimension), expected \(e)") }
            for t in 0..<q.count {
                isOOV[t * b + s] = q.isOOV[t]
                for d in 0..<e { words[(t * b + s) * e + d] = q.vectors[t * e + d] }
            }
        }
        count = b
        steps = longest + 1
        featureSize = f
        wordDimension = e
        self.features = featureRows
        self.words = words
        self.isOOV = isOOV
        lastStep = queries.map(\.count)
        activeRows = (0...longest).map { t in 1 + (queries.lastIndex { $0.count >= t } ?? -1) }
    }
}
