/// How search results are reranked, stored with a trained scorer by
/// `photoq-model train scorer` (chosen on Flickr8k dev): the joint space's top
/// `topK` are reordered by LSTM logit + `jointWeight` × joint similarity θ·φ;
/// results below the top K keep their order. A scorer with word alignment
/// adds `alignmentWeight` × the region–word alignment S. `enabled` is false when the
/// reranked order did not beat the joint space on held-out dev photos.
public struct ScorerRerankPolicy: Sendable, Equatable {
    public var enabled: Bool
    public var topK: Int
    public var jointWeight: Float
    public var alignmentWeight: Float

    public init(enabled: Bool, topK: Int, jointWeight: Float, alignmentWeight: Float = 0) {
        self.enabled = enabled
        self.topK = topK
        self.jointWeight = jointWeight
        self.alignmentWeight = alignmentWeight
    }

    /// Reads `rerank_enabled`, `rerank_top_k` and `rerank_joint_weight`; a
    /// scorer without them (untuned) is not used for reranking.
    public init(metadata: [String: String]) {
        topK = metadata["rerank_top_k"].flatMap(Int.init) ?? 10
        jointWeight = metadata["rerank_joint_weight"].flatMap(Float.init) ?? 0
        alignmentWeight = metadata["rerank_alignment_weight"].flatMap(Float.init) ?? 0
        enabled = metadata["rerank_enabled"] == "true" && metadata["rerank_joint_weight"] != nil
    }

    public var metadata: [String: String] {
        ["rerank_enabled": String(enabled), "rerank_top_k": String(topK), "rerank_joint_weight": String(jointWeight),
         "rerank_alignment_weight": String(alignmentWeight)]
    }
}

