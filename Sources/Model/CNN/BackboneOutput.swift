/// What one forward pass of the backbone returns. Shapes: N = batch.
public struct BackboneOutput: Sendable {
    public let batch: Int
    /// (N,1280): the globally average-pooled head activations, the image embedding input.
    public var features: [Float]
    /// (N,1000): ImageNet-1k class scores before softmax.
    public var logits: [Float]
    /// Every layer's input and output, in execution order, when requested.
    public var activations: [LayerActivation]?
    /// (N,49,1280) when requested: the head activations (after the head conv
    /// and ReLU6, before pooling), image-major then cell (row-major 7×7) then
    /// channel, so one cell's 1280 values are contiguous for a GEMM.
    public var grid: [Float]? = nil

    /// Cells of the head map: 7×7 for a 224×224 input.
    public static let gridCells = 49

    public func grid(of image: Int) -> ArraySlice<Float>? {
        let width = Self.gridCells * EfficientNetLite.featureCount
        return grid?[image * width..<(image + 1) * width]
    }

    public func features(of image: Int) -> ArraySlice<Float> {
        features[image * EfficientNetLite.featureCount..<(image + 1) * EfficientNetLite.featureCount]
    }

    public func logits(of image: Int) -> ArraySlice<Float> {
        logits[image * EfficientNetLite.classCount..<(image + 1) * EfficientNetLite.classCount]
    }
}

/// One layer's recorded tensors, kept so a backward pass (Excitation Backprop)
/// can walk the network from the logits down to the input.
///
/// Trunk tensors are channel-major over the batch, (C,N,H,W): plane c·N + n is
/// channel c of image n (for N = 1 this is plain (C,H,W)). `pool` records
/// input (C,N,H,W) → output (N,C); `classifier` input (N,1280) → output (N,1000).
public struct LayerActivation: Sendable {
    public enum Kind: Sendable, Equatable {
        /// Dense k×k conv (the stem), BN folded; weight (O,C,k,k).
        case conv(kernel: Int, stride: Int)
        /// 1×1 conv (expand, project, head); weight (O,C,1,1).
        case pointwise
        /// Depthwise k×k conv; weight (C,1,k,k).
        case depthwise(kernel: Int, stride: Int)
        case globalAveragePool
        /// Fully connected; weight (1000,1280).
        case classifier
    }

    /// Weight-file prefix, e.g. "blocks.3.expand" (".weight"/".bias" follow).
    public let name: String
    public let kind: Kind
    /// Applied after bias (and after the residual add, if any).
    public let activation: Activation
    /// Index into the activations list of the tensor added as identity
    /// residual: that entry's `input` (the block input).
    public let residualFrom: Int?
    public let inputShape: [Int]
    public let outputShape: [Int]
    public let input: [Float]
    public let output: [Float]
}

public enum BackboneError: Error, CustomStringConvertible, Equatable {
    case invalidBatch(Int)
    case inputSize(expected: Int, actual: Int, side: Int)
    case gridUnavailable(imageSize: Int, side: Int)

    public var description: String {
        switch self {
        case let .invalidBatch(n): return "batch must be at least 1, got \(n)"
        case let .inputSize(expected, actual, side):
            return "input has \(actual) floats, expected \(expected) (N,3,\(side),\(side))"
        case let .gridUnavailable(imageSize, side):
            return "a \(imageSize)-pixel input gives a \(side)×\(side) head map; grids are built on 7×7 (224 pixels)"
        }
    }
}
