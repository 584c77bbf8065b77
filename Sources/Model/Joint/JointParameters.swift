import Foundation
import ModelFormat

/// The learned part of the joint space, all initialised to zero so an
/// untrained model equals the bridge (image) and MiniLM (text):
/// φ = normalise(b + W f + c), θ = normalise(s + A s + d).
/// A grid model (`gridPooling` set) projects each cell of the backbone's
/// 7×7 map with W and pools them (GridProjection.swift) instead of taking f.
public struct JointParameters: Sendable, Equatable {
    public let dimension: Int        // D
    public let featureWidth: Int     // F
    public var imageWeight: [Float]  // W (D,F)
    public var imageBias: [Float]    // c (D)
    public var textWeight: [Float]   // A (D,D)
    public var textBias: [Float]     // d (D)
    /// θ (K): the grid pooling's weights over sort positions; nil = pooled input.
    public var gridPooling: [Float]?

    static let names = (imageWeight: "image.weight", imageBias: "image.bias",
                        textWeight: "text.weight", textBias: "text.bias", gridPooling: "image.grid_pool.logits")

    /// Metadata a weight file carries about the photo input it takes.
    public enum Metadata {
        public static let imageInput = "image_input"    // "pooled" | "grid"
        public static let gridPooling = "grid_pooling"  // "sorted-weighted" (grid models)
        public static let gridCells = "grid_cells"
    }

    /// Metadata entries describing this model's photo input.
    public var inputMetadata: [String: String] {
        guard let gridPooling else { return [Metadata.imageInput: "pooled"] }
        return [Metadata.imageInput: "grid", Metadata.gridPooling: "sorted-weighted",
                Metadata.gridCells: String(gridPooling.count)]
    }

    public init(dimension: Int = JointDimensions.joint, featureWidth: Int = JointDimensions.feature) {
        self.dimension = dimension
        self.featureWidth = featureWidth
        imageWeight = [Float](repeating: 0, count: dimension * featureWidth)
        imageBias = [Float](repeating: 0, count: dimension)
        textWeight = [Float](repeating: 0, count: dimension * dimension)
        textBias = [Float](repeating: 0, count: dimension)
    }

    public init(file: WeightFile) throws {
        let w = try file.floats(Self.names.imageWeight)
        guard w.shape.count == 2 else {
            throw JointModelError.incompatibleModel(path: file.path, reason: "image.weight has shape \(w.shape)")
        }
        let (dimension, featureWidth) = (w.shape[0], w.shape[1])
        self.dimension = dimension
        self.featureWidth = featureWidth
        imageWeight = w.toArray()
        imageBias = try file.floats(Self.names.imageBias, shape: [dimension]).toArray()
        textWeight = try file.floats(Self.names.textWeight, shape: [dimension, dimension]).toArray()
        textBias = try file.floats(Self.names.textBias, shape: [dimension]).toArray()
        let input = file.metadata[Metadata.imageInput] ?? "pooled"
        switch input {
        case "pooled": gridPooling = nil
        case "grid":
            let cells = file.metadata[Metadata.gridCells].flatMap(Int.init) ?? 49
            gridPooling = try file.floats(Self.names.gridPooling, shape: [cells]).toArray()
        default:
            throw JointModelError.incompatibleModel(path: file.path, reason: "unknown image input \"\(input)\"")
        }
    }

    /// This model with pooled cells: W, c, A, d kept, θ = 0 (mean pooling,
    /// so the result embeds photos exactly as the pooled model does).
    public func withGridPooling(cells: Int) -> JointParameters {
        var p = self
        p.gridPooling = [Float](repeating: 0, count: cells)
        return p
    }

    /// Writes the four tensors with `metadata` (model id, data, metrics...).
    public func write(to path: String, metadata: [String: String]) throws {
        var writer = WeightFileWriter(metadata: metadata.merging(inputMetadata) { _, own in own })
        writer.add(Self.names.imageWeight, shape: [dimension, featureWidth], values: imageWeight)
        writer.add(Self.names.imageBias, shape: [dimension], values: imageBias)
        writer.add(Self.names.textWeight, shape: [dimension, dimension], values: textWeight)
        writer.add(Self.names.textBias, shape: [dimension], values: textBias)
        if let gridPooling { writer.add(Self.names.gridPooling, shape: [gridPooling.count], values: gridPooling) }
        try writer.write(to: path)
    }
}

/// Gradients with the same layout as `JointParameters`.
public struct JointGradients: Sendable {
    public var imageWeight: [Float]  // dW (D,F)
    public var imageBias: [Float]    // dc (D)
    public var textWeight: [Float]   // dA (D,D)
    public var textBias: [Float]     // dd (D)
    public var gridPooling: [Float]? // dθ (K), grid models

    public init(like p: JointParameters) {
        imageWeight = [Float](repeating: 0, count: p.imageWeight.count)
        imageBias = [Float](repeating: 0, count: p.imageBias.count)
        textWeight = [Float](repeating: 0, count: p.textWeight.count)
        textBias = [Float](repeating: 0, count: p.textBias.count)
        gridPooling = p.gridPooling.map { [Float](repeating: 0, count: $0.count) }
    }
}
