import FoundationEssentials
import Model
import ModelFormat
import PhotoqProtocol

/// Reorders the joint space's best candidates with the ReLU-LSTM scorer, which
/// reads the query word by word against each photo's backbone feature.
///
/// The policy travels in the scorer's metadata (chosen on held-out dev photos
/// by `photoq-model train scorer`): rerank only the top K by LSTM logit plus a
/// weighted joint similarity, and only when that was shown not to hurt. A
/// scorer whose policy is off is never loaded, so plain searches pay nothing.
public struct Reranker: Sendable {
    public let policy: ScorerRerankPolicy
    private let scorer: ScorerParameters
    private let words: WordVectors

    /// nil when `lstm-scorer.safetensors` is not in `modelDirectory` or its
    /// policy says reranking is off.
    public init?(modelDirectory: String) throws(ClientFailure) {
        let path = ModelPaths.model(ScorerParameters.defaultFileName, in: modelDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            // The header alone decides; the weights are mapped, not read, until used.
            guard ScorerRerankPolicy(metadata: try WeightFile(path: path).metadata).enabled else { return nil }
            let (parameters, metadata) = try ScorerParameters.load(from: path)
            scorer = parameters
            policy = ScorerRerankPolicy(metadata: metadata)
            words = try WordVectors(directory: modelDirectory)
        } catch {
            throw ClientFailure(.software, "cannot load the reranker from \(path): \(error) (remove it or pass --no-rerank)")
        }
    }

    /// How many candidates to ask the daemon for to show `limit` results.
    public func candidates(for limit: Int) -> Int {
        min(Wire.maximumResults, max(limit, policy.topK))
    }

    /// The best `limit` of `hits` (the daemon's order, each with its 1280-d
    /// feature): the first `policy.topK` reordered by the combined score, the
    /// rest left in joint order. Scores stay the joint-space similarities.
    public func rerank(_ query: String, _ hits: [SearchHit], limit: Int) throws(ClientFailure) -> [SearchHit] {
        let encoded = words.encode(query)
        let head = Array(hits.prefix(policy.topK))
        guard encoded.count > 0, head.count > 1 else { return strip(Array(hits.prefix(limit))) }
        let features = head.compactMap(\.feature)
        guard features.count == head.count else {
            throw ClientFailure(.protocolError, "photoqd returned candidates without features; upgrade photoqd or pass --no-rerank")
        }
        let combined: [Float]
        do {
            combined = try scorer.combinedScores(encoded, features: features,
                                                 jointSimilarities: head.map(\.score), policy: policy)
        } catch {
            throw ClientFailure(.software, "reranking failed: \(error)")
        }
        // Stable on ties: the daemon's order decides.
        let order = head.indices.sorted { combined[$0] != combined[$1] ? combined[$0] > combined[$1] : $0 < $1 }
        let reordered = order.map { head[$0] } + hits.dropFirst(head.count)
        return strip(Array(reordered.prefix(limit)))
    }

    private func strip(_ hits: [SearchHit]) -> [SearchHit] {
        hits.map { var hit = $0; hit.feature = nil; return hit }
    }
}
