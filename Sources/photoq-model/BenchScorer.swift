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

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard hidden > 0, words > 0, candidates > 0, repeats >= 10 else {
            throw ValidationError("--hidden, --words and --candidates must be positive and --repeats at least 10.")
        }
    }

    func run() throws {
        openblas_set_num_threads(1)
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
}
