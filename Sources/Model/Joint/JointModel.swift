import Foundation
import ModelFormat

/// The joint visual–text space at inference: what the daemon and the client
/// call to embed photos and queries so that a dot product ranks photos.
/// With `weights` nil it is the bridge-only model (φ = b, θ = s).
public final class JointModel: @unchecked Sendable {
    public let modelID: String
    public let parameters: JointParameters
    public let bridge: ZeroShotBridge
    public var dimension: Int { parameters.dimension }

    public convenience init(weights: WeightFile?, bridge bridgeFile: WeightFile) throws {
        let storedTopT = weights?.metadata["bridge_top_t"].flatMap(Int.init)
        let bridge = try ZeroShotBridge(file: bridgeFile, topT: storedTopT)
        let parameters: JointParameters
        if let weights {
            parameters = try JointParameters(file: weights)
            guard parameters.dimension == bridge.dimension else {
                throw JointModelError.incompatibleModel(
                    path: weights.path, reason: "joint dimension \(parameters.dimension) but bridge has \(bridge.dimension)")
            }
        } else {
            parameters = JointParameters(dimension: bridge.dimension, featureWidth: JointDimensions.feature)
        }
        self.init(parameters: parameters, bridge: bridge,
                  modelID: weights?.metadata["model_id"] ?? "bridge-only-top\(bridge.topT)")
    }

    public init(parameters: JointParameters, bridge: ZeroShotBridge, modelID: String) {
        self.parameters = parameters
        self.bridge = bridge
        self.modelID = modelID
    }

    /// φ (D) from one photo's backbone feature (F) and logits (K).
    public func embedImage(feature: [Float], logits: [Float]) -> [Float] {
        embedImages(features: feature, logits: logits, batch: 1)
    }

    /// φ (N,D) from features (N,F) and logits (N,K).
    public func embedImages(features: [Float], logits: [Float], batch: Int) -> [Float] {
        precondition(features.count == batch * parameters.featureWidth && logits.count == batch * bridge.classCount,
                     "JointModel.embedImages: expected (\(batch),\(parameters.featureWidth)) features and (\(batch),\(bridge.classCount)) logits")
        let b = bridge.forward(logits: logits, batch: batch)
        return parameters.imageForward(bridge: b, features: features, batch: batch).output
    }

    /// θ (D) from one MiniLM sentence embedding (D).
    public func embedText(sentenceEmbedding: [Float]) -> [Float] {
        embedTexts(sentenceEmbeddings: sentenceEmbedding, batch: 1)
    }

    /// θ (N,D) from sentence embeddings (N,D).
    public func embedTexts(sentenceEmbeddings: [Float], batch: Int) -> [Float] {
        precondition(sentenceEmbeddings.count == batch * dimension,
                     "JointModel.embedTexts: expected (\(batch),\(dimension)) sentence embeddings")
        return parameters.textForward(sentences: sentenceEmbeddings, batch: batch).output
    }

    /// Checked variant for untrusted input sizes.
    public func checkedEmbedImage(feature: [Float], logits: [Float]) throws -> [Float] {
        guard feature.count == parameters.featureWidth else {
            throw JointModelError.wrongInputSize(what: "backbone feature", expected: parameters.featureWidth, actual: feature.count)
        }
        guard logits.count == bridge.classCount else {
            throw JointModelError.wrongInputSize(what: "logits", expected: bridge.classCount, actual: logits.count)
        }
        return embedImage(feature: feature, logits: logits)
    }
}
