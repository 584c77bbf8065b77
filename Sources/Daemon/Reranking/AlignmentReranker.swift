import Foundation
import Index
import Model
import ModelFormat

/// The LSTM scorer with region–word alignment (`reranker.safetensors`): at
/// ingest it turns a photo's head map into int8 cells in its basis; at query
/// time it reads the query's WordPiece tokens, GloVe words and each
/// candidate's cells, and combines LSTM logit, joint similarity and
/// alignment as its metadata's policy says.
public final class AlignmentReranker: SearchReranker, @unchecked Sendable {
    public let id: String
    public var topK: Int { policy.topK }
    /// Longer queries keep the joint order: the LSTM takes a step per word
    /// for every candidate (a request may carry ~2,000 words), and it was
    /// trained on captions of at most ~40.
    static let maximumWords = 64
    let policy: ScorerRerankPolicy
    private let scorer: ScorerParameters
    private let basis: CellBasis
    private let words: WordVectors
    private let encoder: SentenceEncoder
    private let joint: JointModel
    private let classifier: (weight: [Float], bias: [Float])
    /// Token states of the last few queries embedded for search, so the
    /// rerank of the same query needs no second encoder pass.
    private let recentStates = RecentTokenStates(capacity: 32)

    /// nil when the file is absent or its policy is off; throws for a file
    /// that is there but unusable (the daemon then refuses to start, rather
    /// than search silently without it).
    public init?(modelDirectory: String, encoder: SentenceEncoder, joint: JointModel,
                 classifier: (weight: [Float], bias: [Float])) throws {
        let path = ModelPaths.model(ScorerParameters.rerankerFileName, in: modelDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try WeightFile(path: path)
        let policy = ScorerRerankPolicy(metadata: file.metadata)
        guard policy.enabled else { return nil }
        guard file.metadata["word_alignment"] == "true", let basis = try CellBasis(weights: file) else {
            throw ScorerError.badModel(path: path, reason: "a reranker needs word alignment and a cell basis (train scorer --word-alignment --cell-basis)")
        }
        guard basis.dimension == joint.dimension, file.metadata["joint_model"] == joint.modelID else {
            throw ScorerError.badModel(path: path, reason: "it was trained for joint model \(file.metadata["joint_model"] ?? "?") (\(basis.dimension)-d), the installed one is \(joint.modelID)")
        }
        let (parameters, metadata) = try ScorerParameters.load(from: path)
        let words = try WordVectors(directory: modelDirectory)
        guard metadata["vocabulary_id"] == words.vocabularyID,
              parameters.shape.wordDimension == words.dimension + WordAlignmentInputs.count else {
            throw ScorerError.badModel(path: path, reason: "it reads \(parameters.shape.wordDimension)-value words of vocabulary \(metadata["vocabulary_id"] ?? "?"); the installed word vectors are \(words.vocabularyID), \(words.dimension)-d")
        }
        self.policy = policy
        self.basis = basis
        self.scorer = parameters
        self.words = words
        self.encoder = encoder
        self.joint = joint
        self.classifier = classifier
        id = "\(metadata["model_id"] ?? "reranker")@r\(basis.rank)"
    }

    /// The query's joint-space vector for the first stage, keeping its token
    /// states for the reranking that follows.
    func embedQuery(_ text: String) -> [Float] {
        let (embedding, states) = encoder.encodeWithTokenStates(batch: [text])[0]
        recentStates.insert(states, for: text)
        return joint.embedText(sentenceEmbedding: embedding)
    }

    /// The same for several queries in one encoder pass (queries that
    /// arrived together).
    func embedQueries(_ texts: [String]) -> [[Float]] {
        let encoded = encoder.encodeWithTokenStates(batch: texts)
        for (text, pass) in zip(texts, encoded) { recentStates.insert(pass.states, for: text) }
        let d = joint.dimension
        let projected = joint.embedTexts(sentenceEmbeddings: encoded.flatMap(\.embedding), batch: texts.count)
        return (0..<texts.count).map { Array(projected[($0 * d)..<(($0 + 1) * d)]) }
    }

    public func cells(headMap grid: [Float]) throws -> PhotoCells {
        let f = joint.parameters.featureWidth, k = classifier.bias.count
        guard grid.count % f == 0, classifier.weight.count == k * f else {
            throw ScorerError.shapeMismatch("head map of \(grid.count) values for \(f)-value cells")
        }
        let rows = grid.count / f
        var logits = matmul(grid, classifier.weight, m: rows, n: k, k: f, transposeB: true)
        for r in 0..<rows { for j in 0..<k { logits[r * k + j] += classifier.bias[j] } }
        let stored = basis.quantize(joint.cellEmbeddings(grid: grid, cellLogits: logits, cells: rows))
        return PhotoCells(rows: rows, rank: basis.rank, scales: stored.scales, coordinates: stored.coordinates)
    }

    public func scores(query text: String, candidates: [PhotoRecord], jointScores: [Float]) throws -> [Float]? {
        let glove = words.encode(text)
        guard glove.count > 0, glove.count <= Self.maximumWords else { return nil }
        var aligned: [AlignedCandidate] = []
        for (record, score) in zip(candidates, jointScores) {
            guard let cells = record.cells, cells.rank == basis.rank, !record.feature.isEmpty else { return nil }
            aligned.append(AlignedCandidate(feature: record.feature, photo: record.vector, cellScales: cells.scales,
                                            cellCoordinates: cells.coordinates, jointScore: score))
        }
        let pieces = encoder.tokenize(text).dropFirst().dropLast().map { encoder.tokenString($0) }
        let ranges = WordAlignmentInputs.pieceRanges(words: glove.tokens, pieces: Array(pieces))
        let states = recentStates.take(text) ?? encoder.tokenStates(batch: [text])[0]
        let theta = joint.embedTokens(states: states)
        let query = AlignedQuery(words: glove, ranges: ranges, pieces: theta, basis: basis)
        return try scorer.alignedScores(query, candidates: aligned, rank: basis.rank, policy: policy)
    }
}

/// A few texts' token states, oldest dropped first; shared by the server's workers.
final class RecentTokenStates: @unchecked Sendable {
    private let capacity: Int
    private let lock = NSLock()
    private var entries: [(text: String, states: [Float])] = []

    init(capacity: Int) { self.capacity = capacity }

    func insert(_ states: [Float], for text: String) {
        lock.withLock {
            entries.removeAll { $0.text == text }
            entries.append((text, states))
            if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        }
    }

    /// The states of `text` if still here (removed: each search reranks once).
    func take(_ text: String) -> [Float]? {
        lock.withLock {
            guard let i = entries.lastIndex(where: { $0.text == text }) else { return nil }
            return entries.remove(at: i).states
        }
    }
}
