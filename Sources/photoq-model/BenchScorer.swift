import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model bench scorer`: time the LSTM reranker on one core.
struct BenchScorer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "Time scoring one query against K candidate photos with the LSTM scorer on one core.")

    @Option(help: "Trained scorer weights (default: random weights of --hidden size).")
    var scorer: String?

    @Option(help: "Hidden size of the random scorer when --scorer is not given.")
    var hidden = 256

    @Option(help: "Query to score (needs the installed GloVe vectors); default: --words random word vectors.")
    var query: String?

    @Option(help: "Number of words in the random query.")
    var words = 10

    @Option(help: "Candidate photos per query.")
    var candidates = 100

    @Option(help: "Timed repetitions.")
    var repeats = 200

    @Option(help: "Model directory (default: $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).")
    var models: String?

    @Flag(help: "Time the search reranker as photoqd runs it (reranker.safetensors, or --scorer with a cell basis): from the query's token states (shared with the first stage's encoder pass, timed beside it) and words to K candidates' combined scores from their stored int8 cells.")
    var aligned = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard hidden > 0, words > 0, candidates > 0, repeats >= 10 else {
            throw ValidationError("--hidden, --words and --candidates must be positive and --repeats at least 10.")
        }
    }

    func run() throws {
        openblas_set_num_threads(1)
        if aligned { return try runAligned() }
        let parameters = try scorer.map { try ScorerParameters.load(from: $0).parameters }
            ?? ScorerParameters(shape: ScorerShape(hiddenSize: hidden), seed: 1)
        let shape = parameters.shape
        var random = SeededGenerator(seed: 42)  // every run times the same inputs
        let encoded: EncodedQuery
        if let query {
            encoded = try WordVectors(directory: models).encode(query)
        } else {
            encoded = EncodedQuery(tokens: (0..<words).map { "w\($0)" },
                                   vectors: (0..<(words * shape.wordDimension)).map { _ in Float.random(in: -1...1, using: &random) },
                                   isOOV: Array(repeating: false, count: words), dimension: shape.wordDimension)
        }
        // Post-ReLU6 pooled features lie in [0, 6]; the values only set the activation pattern.
        let features = (0..<(candidates * shape.featureSize)).map { _ in Float.random(in: 0...2, using: &random) }
        var milliseconds: [Double] = []
        try features.withUnsafeBufferPointer { rows in
            _ = try parameters.score(encoded, features: rows.baseAddress!, count: candidates)  // warm-up
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try parameters.score(encoded, features: rows.baseAddress!, count: candidates)
                milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
        }
        milliseconds.sort()
        let median = milliseconds[milliseconds.count / 2]
        let p95 = milliseconds[min(milliseconds.count - 1, Int(Double(milliseconds.count) * 0.95))]
        if json {
            let report: [String: Any] = [
                "version": 1, "hidden_size": shape.hiddenSize, "words": encoded.count, "candidates": candidates,
                "repeats": repeats, "median_ms": median, "p95_ms": p95,
            ]
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "scorer H=%d, %d words, %d candidates, 1 thread: median %.2f ms, p95 %.2f ms (%d runs)",
                         shape.hiddenSize, encoded.count, candidates, median, p95, repeats))
        }
    }

    /// Median milliseconds of `body` over `repeats` runs after one warm-up.
    private func medianMilliseconds(_ body: () throws -> Void) rethrows -> (median: Double, p95: Double) {
        try body()
        var milliseconds: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            milliseconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        milliseconds.sort()
        return (milliseconds[milliseconds.count / 2], milliseconds[min(milliseconds.count - 1, Int(Double(milliseconds.count) * 0.95))])
    }

    private func runAligned() throws {
        let path = scorer ?? ModelPaths.model(ScorerParameters.rerankerFileName, in: models)
        let file = try WeightFile(path: path)
        guard let basis = try CellBasis(weights: file) else { throw ValidationError("\(path) has no cell basis") }
        let (parameters, metadata) = try ScorerParameters.load(from: path)
        let policy = ScorerRerankPolicy(metadata: metadata)
        let wordVectors = try WordVectors(directory: models)
        let encoder = try SentenceEncoder(modelDirectory: models)
        let joint = try JointModel(weights: try WeightFile(path: ModelPaths.model(JointModelFiles.joint, in: models)),
                                   bridge: try WeightFile(path: ModelPaths.model(JointModelFiles.bridge, in: models)))
        let text = query ?? "a brown dog runs along the beach next to the sea"
        var random = SeededGenerator(seed: 42)
        let cells = BackboneOutput.gridCells
        let stored = (0..<candidates).map { _ in
            basis.quantize((0..<cells).flatMap { _ in normalizedL2((0..<basis.dimension).map { _ in Float.random(in: -1...1, using: &random) }) })
        }
        let photos = (0..<candidates).map { _ in normalizedL2((0..<basis.dimension).map { _ in Float.random(in: -1...1, using: &random) }) }
        let features = (0..<candidates).map { _ in (0..<parameters.shape.featureSize).map { _ in Float.random(in: 0...2, using: &random) } }
        // The first stage's own text cost: one encoder pass (which also gives
        // the token states the reranker reads, as in photoqd), through the joint space.
        let firstStage = medianMilliseconds { _ = joint.embedText(sentenceEmbedding: encoder.encodeWithTokenStates(batch: [text])[0].embedding) }
        let states = encoder.encodeWithTokenStates(batch: [text])[0].states
        var words = 0
        let rerank = try medianMilliseconds {
            let glove = wordVectors.encode(text)
            words = glove.count
            let pieces = encoder.tokenize(text).dropFirst().dropLast().map { encoder.tokenString($0) }
            let ranges = WordAlignmentInputs.pieceRanges(words: glove.tokens, pieces: Array(pieces))
            let theta = joint.embedTokens(states: states)
            let q = AlignedQuery(words: glove, ranges: ranges, pieces: theta, basis: basis)
            let list = (0..<candidates).map {
                AlignedCandidate(feature: features[$0], photo: photos[$0], cellScales: stored[$0].scales,
                                 cellCoordinates: stored[$0].coordinates, jointScore: 0.3)
            }
            _ = try parameters.alignedScores(q, candidates: list, rank: basis.rank, policy: policy)
        }
        if json {
            let report: [String: Any] = [
                "version": 1, "words": words, "candidates": candidates, "rank": basis.rank, "repeats": repeats,
                "rerank_median_ms": rerank.median, "rerank_p95_ms": rerank.p95, "query_embedding_median_ms": firstStage.median,
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "reranker (rank-%d cells), %d words, %d candidates, 1 thread: median %.2f ms, p95 %.2f ms; the first stage's encoder pass: median %.2f ms (reranking adds %.1fx of it)",
                         basis.rank, words, candidates, rerank.median, rerank.p95, firstStage.median, rerank.median / firstStage.median))
        }
    }
}
