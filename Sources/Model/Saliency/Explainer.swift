import Foundation
import ModelFormat

/// Runs the backbone once with activations kept, then the chosen backward pass.
public struct Explainer: Sendable {
    public let backbone: EfficientNetLite
    public let target: ExplanationTarget
    public var featureMap: Excitation.FeatureMap
    /// How the joint space turns cell similarities into cell weights.
    public var cellWeighting = CellWeighting()
    /// How the joint space reads the query and each word; "{}" stands for
    /// the text. Caption-like, as the class phrases were built.
    public var textPrompt = "a photo of a {}"
    /// Tiles per side for the joint space's finer cells: the caller passes
    /// `networkInputTiles(photo, side: tileSide, overlapping: overlapsTiles, …)`.
    /// The default, 3 overlapping tiles a side (a 14×14 grid), was chosen by
    /// the pointing game's tuning half (docs/quality.md).
    public var tileSide = Explainer.defaultTileSide
    /// Average each tile cell with the same cell of the tile's mirror image
    /// (flipped back), as search embeds photos; the caller then passes the
    /// mirrored tiles too.
    public var flipAverage = false
    /// Tiles overlap by half a tile when `tileSide` is odd (3 gives a 14×14
    /// grid like 2, with no tile border through the photo's middle); even
    /// sides are always cut side by side. See `overlapsTiles`.
    public var tileOverlap = true
    public static let defaultTileSide = 3

    /// Whether the tiles are cut overlapping: what the caller passes to
    /// `networkInputTiles(photo, side: tileSide, overlapping:, …)`.
    public var overlapsTiles: Bool { tileOverlap && tileSide > 1 && tileSide % 2 == 1 }

    /// The text in the prompt, without doubling an article ("a photo of a" + "a dog").
    func prompted(_ text: String) -> String {
        var prompt = textPrompt
        let first = text.split(separator: " ").first.map { $0.lowercased() }
        if ["a", "an", "the"].contains(first ?? ""), prompt.hasSuffix(" a {}") {
            prompt = String(prompt.dropLast(4)) + "{}"
        }
        return prompt.replacingOccurrences(of: "{}", with: text)
    }
    /// The backbone's classifier weight (1000,1280) and bias (1000).
    let classifier: [Float], classifierBias: [Float]

    public init(backbone: EfficientNetLite, target: ExplanationTarget,
                featureMap: Excitation.FeatureMap = .block14) throws {
        self.backbone = backbone
        self.target = target
        self.featureMap = featureMap
        classifier = try backbone.weights.floats("fc.weight", shape: [EfficientNetLite.classCount, EfficientNetLite.featureCount]).toArray()
        classifierBias = try backbone.weights.floats("fc.bias", shape: [EfficientNetLite.classCount]).toArray()
    }

    /// One photo's forward pass, kept so several queries and methods can be
    /// explained without running the backbone again.
    public struct Forward: Sendable {
        /// Every layer's tensors (empty when not kept: the joint space's
        /// cells, Grad-CAM and the centre need none; EB and the gradient do).
        public let activations: [LayerActivation]
        /// f (1280) pooled features, logits (1000).
        public let features: [Float], logits: [Float]
        /// The head map (C, 7·7) channel-major, the pooling layer's input.
        public let head: [Float]
        /// The head maps of the photo's tiles stitched into one finer head
        /// map (C, side·7 × side·7) channel-major, when tiles were given.
        public var detail: (head: [Float], width: Int, height: Int)?
    }

    /// input (3,224,224) RGB 0–255, as from `networkInput`; tiles (T²,3,224,224)
    /// from `networkInputTiles` add a finer grid of cells for the joint space.
    /// `keepActivations` (needed by `ExplanationMethod.walksTheBackbone`) costs time.
    /// mirroredTiles (T²,3,224,224): each tile's left–right mirror, averaged in when given.
    public func forward(input: [Float], tiles: [Float]? = nil, mirroredTiles: [Float]? = nil,
                        keepActivations: Bool = true) throws -> Forward {
        let (cells, c) = (BackboneOutput.gridCells, EfficientNetLite.featureCount)
        let jointTiles = explainsJointSpace ? tiles : nil
        let count = jointTiles.map { $0.count / EfficientNetLite.gridInputCount } ?? 0
        if let jointTiles, count * EfficientNetLite.gridInputCount != jointTiles.count {
            throw SaliencyError(.shapeMismatch, "tiles hold \(jointTiles.count) values, not whole network inputs")
        }
        var activations: [LayerActivation] = []
        var features: [Float], logits: [Float], grid: [Float]
        if keepActivations {
            let output = try backbone.forward(input, batch: 1, keepActivations: true)
            guard let kept = output.activations, let pool = kept.first(where: { $0.kind == .globalAveragePool }) else {
                throw SaliencyError(.missingActivation, "the backbone kept no activations")
            }
            activations = kept
            (features, logits) = (Array(output.features), Array(output.logits))
            var pass = Forward(activations: activations, features: features, logits: logits, head: pool.input)
            if let jointTiles {
                grid = try backbone.forwardEach(jointTiles, batch: count, keepGrid: true).grid ?? []
                pass.detail = try TileStitching.stitched(averagedWithMirror(grid, mirroredTiles: mirroredTiles, count: count),
                                                         tiles: count, overlapping: overlapsTiles)
            }
            return pass
        }
        // The photo, then its tiles, in one workspace.
        let output = try backbone.forwardEach(input + (jointTiles ?? []), batch: 1 + count, keepGrid: true)
        features = Array(output.features(of: 0))
        logits = Array(output.logits(of: 0))
        grid = output.grid ?? []
        var head = [Float](repeating: 0, count: c * cells)
        for cell in 0..<cells { for ch in 0..<c { head[ch * cells + cell] = grid[cell * c + ch] } }
        var pass = Forward(activations: [], features: features, logits: logits, head: head)
        if count > 0 {
            let tileGrid = try averagedWithMirror(Array(grid[(cells * c)...]), mirroredTiles: mirroredTiles, count: count)
            pass.detail = try TileStitching.stitched(tileGrid, tiles: count, overlapping: overlapsTiles)
        }
        return pass
    }

    /// The tiles' grids (T²,49,C), averaged with their mirror images' grids
    /// flipped back when the mirrored tiles are given.
    private func averagedWithMirror(_ grid: [Float], mirroredTiles: [Float]?, count: Int) throws -> [Float] {
        guard let mirroredTiles, explainsJointSpace else { return grid }
        guard mirroredTiles.count == count * EfficientNetLite.gridInputCount else {
            throw SaliencyError(.shapeMismatch, "\(mirroredTiles.count / EfficientNetLite.gridInputCount) mirrored tiles for \(count) tiles")
        }
        let mirrored = try backbone.forwardEach(mirroredTiles, batch: count, keepGrid: true).grid ?? []
        let back = BackboneOutput.flippedGrid(mirrored, batch: count)
        return zip(grid, back).map { ($0 + $1) / 2 }
    }

    /// input (3,224,224) RGB 0–255, as from `networkInput`.
    public func explain(input: [Float], query: String, method: ExplanationMethod) throws -> Explanation {
        try explain(forward(input: input), query: query, method: method)
    }

    /// Whether this explainer works in the joint space (every method, per-word maps).
    public var explainsJointSpace: Bool {
        if case .joint = target { return true }
        return false
    }

    /// Whether `method` can explain this target.
    public func supports(_ method: ExplanationMethod) -> Bool { explainsJointSpace || !method.needsJointSpace }

    /// The explanation of `query` for an already computed pass: the combined
    /// map and, in the joint space, one map and score per content word.
    public func explain(_ pass: Forward, query: String, method: ExplanationMethod) throws -> Explanation {
        if case let .joint(model, encoder) = target {
            return try explainInJointSpace(pass, query: query, method: method, model: model, encoder: encoder)
        }
        if method.needsJointSpace {
            throw SaliencyError(.unsupportedMethod, "\(method.rawValue) explains the joint space; use --target joint")
        }
        if method == .centre {
            let side = featureMap == .head7 ? 7 : featureMap == .block14 ? 14 : 28
            return Explanation(map: Self.centreMap(width: side, height: side), words: [], wordScores: [],
                               imageShare: nil, score: 0, method: method)
        }
        if pass.activations.isEmpty {
            throw SaliencyError(.missingActivation, "\(method.rawValue) needs the forward pass run with keepActivations")
        }
        let top = topSignal(query: query, features: pass.features, logits: pass.logits, classifier: classifier)
        func map(_ signal: [Float], _ m: Excitation.Method) throws -> SaliencyMap {
            try Excitation.backbone(backbone, activations: pass.activations, featureSignal: signal, map: featureMap, method: m)
        }
        let first = try top(method == .gradient ? .gradient : .excitation, false)
        var saliency = try map(first.features, method == .gradient ? .gradient : .excitation)
        if method == .cmwp {
            let dual = try top(.excitation, true)
            saliency = try saliency.contrasted(with: map(dual.features, .excitation))
        }
        var words = first.words, wordScores = first.wordScores
        if words.isEmpty, case .scorer = target {
            // The gradient pass gives no temporal shares: take them from EB.
            let eb = try top(.excitation, false)
            words = eb.words; wordScores = eb.wordScores
        }
        return Explanation(map: saliency, words: words, wordScores: wordScores,
                           imageShare: method == .gradient ? nil : first.imageShare,
                           score: first.score, method: method)
    }
}
