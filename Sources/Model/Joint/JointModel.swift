import Foundation
import ModelFormat

/// The joint visual–text space at inference: what the daemon and the client
/// call to embed photos and queries so that a dot product ranks photos.
/// With `weights` nil it is the bridge-only model (φ = b, θ = s).
public final class JointModel: @unchecked Sendable {
    public let modelID: String
    /// Photos are embedded from the mean of their own and their mirror
    /// image's backbone outputs (metadata `test_time_flip`, set by
    /// `train embed --flip-average`): the model was trained on such features.
    public let testTimeFlip: Bool
    /// Metadata key of `testTimeFlip` ("true" or absent).
    public static let testTimeFlipKey = "test_time_flip"
    /// The backbone φ was trained on (and photos must be embedded with).
    public private(set) var backbone = BackboneChoice.standard
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
                  modelID: weights?.metadata["model_id"] ?? "bridge-only-top\(bridge.topT)",
                  testTimeFlip: weights.map(Self.usesTestTimeFlip) ?? false)
        if let weights { backbone = try BackboneChoice(metadata: weights.metadata, path: weights.path) }
    }

    public init(parameters: JointParameters, bridge: ZeroShotBridge, modelID: String, testTimeFlip: Bool = false) {
        self.parameters = parameters
        self.bridge = bridge
        self.modelID = modelID
        self.testTimeFlip = testTimeFlip
    }

    /// Whether a joint weight file asks for flip-averaged photo features.
    public static func usesTestTimeFlip(_ weights: WeightFile) -> Bool { weights.metadata[testTimeFlipKey] == "true" }

    /// Which backbone output φ reads: the pooled feature or the 7×7 grid.
    public enum ImageInput: String, Sendable { case pooled, grid }
    public var imageInput: ImageInput { parameters.gridPooling == nil ? .pooled : .grid }
    /// Whether the backbone must be run with `keepGrid` for this model.
    public var needsGrid: Bool { imageInput == .grid }

    /// φ (N,D) from one backbone pass, choosing the pooled feature or the
    /// grid as the model takes; a grid model needs `forward(keepGrid: true)`.
    public func embedImages(_ output: BackboneOutput) throws -> [Float] {
        try checkedEmbedImages(features: output.features, logits: output.logits, grid: output.grid, batch: output.batch)
    }

    /// φ (N,D) for either input kind; grid (N·K, F) photo-major, used (and
    /// required) only by a grid model.
    public func embedImages(features: [Float], logits: [Float], grid: [Float]?, batch: Int) -> [Float] {
        guard let cells = parameters.gridCells else { return embedImages(features: features, logits: logits, batch: batch) }
        precondition(grid?.count == batch * cells * parameters.featureWidth && logits.count == batch * bridge.classCount,
                     "JointModel.embedImages: a grid model needs (\(batch),\(cells),\(parameters.featureWidth)) grid values")
        let b = bridge.forward(logits: logits, batch: batch)
        return parameters.gridImageForward(bridge: b, grid: grid!, batch: batch).output
    }

    /// Checked variant of `embedImages(features:logits:grid:batch:)` for
    /// outputs of unknown provenance.
    public func checkedEmbedImages(features: [Float], logits: [Float], grid: [Float]?, batch: Int) throws -> [Float] {
        guard logits.count == batch * bridge.classCount else {
            throw JointModelError.wrongInputSize(what: "logits", expected: batch * bridge.classCount, actual: logits.count)
        }
        if let cells = parameters.gridCells {
            let expected = batch * cells * parameters.featureWidth
            guard let grid, grid.count == expected else {
                throw JointModelError.wrongInputSize(what: "backbone grid", expected: expected, actual: grid?.count ?? 0)
            }
        } else if features.count != batch * parameters.featureWidth {
            throw JointModelError.wrongInputSize(what: "backbone feature", expected: batch * parameters.featureWidth,
                                                 actual: features.count)
        }
        return embedImages(features: features, logits: logits, grid: grid, batch: batch)
    }

    /// Per-cell joint embeddings (R,D) of R cells, g (R,F), with their class
    /// scores (R,K) (the backbone's classifier applied to each cell): what a
    /// cell-level similarity map per query word is computed from.
    public func cellEmbeddings(grid: [Float], cellLogits: [Float], cells: Int) -> [Float] {
        let b = bridge.forward(logits: cellLogits, batch: cells)
        return parameters.cellEmbeddings(cellBridge: b, grid: grid, cells: cells)
    }

    /// φ (D) from one photo's backbone feature (F) and logits (K).
    public func embedImage(feature: [Float], logits: [Float]) -> [Float] {
        embedImages(features: feature, logits: logits, batch: 1)
    }

    /// φ (N,D) from features (N,F) and logits (N,K). The pooled model's
    /// path; a grid model given only f is taken with mean pooling (exact at
    /// θ = 0, an approximation after training), which is what the pooled
    /// explainer sees. Callers with the grid should pass it (above).
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

    /// θ_t (n,D) of a text's word tokens from the sentence encoder's token
    /// states (n+2, D), `[CLS]` first and `[SEP]` last: each state normalised
    /// as a sentence embedding is, then through the text side.
    public func embedTokens(states: [Float]) -> [Float] {
        let d = dimension
        let n = states.count / d - 2
        guard n > 0 else { return [] }
        let unit = (0..<n).flatMap { normalizedL2(Array(states[(($0 + 1) * d)..<(($0 + 2) * d)])) }
        return embedTexts(sentenceEmbeddings: unit, batch: n)
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
