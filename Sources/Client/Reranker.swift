import FoundationEssentials
import Model
import ModelFormat
import PhotoqProtocol

/// Reorders the daemon's nearest candidates with the ReLU-LSTM scorer, which
/// reads the query word by word against each photo's backbone feature.
/// Loaded only when its weights are installed, and only for text queries,
/// so plain runs pay nothing for it.
public struct Reranker: Sendable {
    /// Candidates fetched per result shown when reranking.
    public static let candidatesPerResult = 5
    public static let minimumCandidates = 50

    private let scorer: ScorerParameters
    private let words: WordVectors

    /// nil when `lstm-scorer.safetensors` is not in `modelDirectory`.
    public init?(modelDirectory: String) throws(ClientFailure) {
        let path = ModelPaths.model(ScorerParameters.defaultFileName, in: modelDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            scorer = try ScorerParameters.load(from: path).parameters
            words = try WordVectors(directory: modelDirectory)
        } catch {
            throw ClientFailure(.software, "cannot load the reranker from \(path): \(error) (remove it or pass --no-rerank)")
        }
    }

    /// How many candidates to ask the daemon for to show `limit` results.
    public static func candidates(for limit: Int) -> Int {
        min(Wire.maximumResults, max(limit * candidatesPerResult, minimumCandidates))
    }

    /// The best `limit` of `hits` by the scorer's similarity (which becomes their score).
    /// hits: each with its feature (1280).
    public func rerank(_ query: String, _ hits: [SearchHit], limit: Int) throws(ClientFailure) -> [SearchHit] {
        let encoded = words.encode(query)
        guard encoded.count > 0, !hits.isEmpty else { return Array(hits.prefix(limit)) }
        let features = hits.compactMap(\.feature)
        guard features.count == hits.count else {
            throw ClientFailure(.protocolError, "photoqd returned candidates without features; upgrade photoqd or pass --no-rerank")
        }
        let scores: [Float]
        do { scores = try scorer.score(encoded, features: features) } catch {
            throw ClientFailure(.software, "reranking failed: \(error)")
        }
        // Stable on ties: the daemon's order decides.
        let order = hits.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        return order.prefix(limit).map { i in
            var hit = hits[i]
            hit.score = scores[i]
            hit.feature = nil
            return hit
        }
    }
}
