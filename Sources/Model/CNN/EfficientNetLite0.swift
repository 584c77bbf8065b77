import ModelFormat

/// EfficientNet-Lite0 (ImageNet-1k) with BatchNorm folded into the convolutions.
///
/// Architecture: stem 3×3/2 conv → 32, ReLU6; 16 MBConv blocks (1×1 expand →
/// ReLU6 → depthwise k×k → ReLU6 → 1×1 project, identity residual when the
/// stride is 1 and shapes match); head 1×1 → 1280, ReLU6; global average pool;
/// FC 1000. TensorFlow SAME padding; input RGB 0–255 normalised as (x−127)/128.
///
/// Immutable after init and safe to share between threads; each thread runs
/// `forward` with its own `EfficientNetWorkspace`.
public final class EfficientNetLite0: @unchecked Sendable {
    public static let imageSize = 224
    public static let featureCount = 1280
    public static let classCount = 1000
    /// (repeats, kernel, stride, expand, in, out) per stage.
    public static let stages: [(repeats: Int, kernel: Int, stride: Int, expand: Int, input: Int, output: Int)] = [
        (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
        (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
    ]
    static let stemChannels = 32
    static let stemKernel = 3
    static let stemStride = 2

    /// A convolution's folded parameters, pointing into the mapped weight file.
    struct Conv {
        let name: String
        let weight: UnsafePointer<Float>  // (O,C,k,k), or (C,1,k,k) for depthwise
        let bias: UnsafePointer<Float>  // (O)
        let outChannels: Int
        let inChannels: Int
        let kernel: Int
        var depthwise = false
    }

    struct Block {
        let expand: Conv?
        let depthwise: Conv
        let project: Conv
        let stride: Int
        let residual: Bool
    }

    let weights: WeightFile
    let stem: Conv
    let blocks: [Block]
    let head: Conv
    let classifier: Conv  // weight (1000,1280)

    /// The classifier's weight (K,F) and bias (K): linear, so it also gives
    /// each grid cell its own class scores.
    public func classifierWeights() throws -> (weight: [Float], bias: [Float]) {
        (try weights.floats("fc.weight", shape: [Self.classCount, Self.featureCount]).toArray(),
         try weights.floats("fc.bias", shape: [Self.classCount]).toArray())
    }

    public init(weights: WeightFile) throws {
        self.weights = weights
        func conv(_ name: String, _ o: Int, _ c: Int, _ k: Int, depthwise: Bool = false) throws -> Conv {
            let shape = depthwise ? [o, 1, k, k] : [o, c, k, k]
            let w = try weights.floats(name + ".weight", shape: shape)
            let b = try weights.floats(name + ".bias", shape: [o])
            return Conv(name: name, weight: w.baseAddress, bias: b.baseAddress, outChannels: o, inChannels: c, kernel: k,
                        depthwise: depthwise)
        }
        stem = try conv("stem", Self.stemChannels, 3, Self.stemKernel)
        var blocks: [Block] = []
        for stage in Self.stages {
            for r in 0..<stage.repeats {
                let i = blocks.count
                let cin = r == 0 ? stage.input : stage.output
                let stride = r == 0 ? stage.stride : 1
                let expanded = cin * stage.expand
                blocks.append(Block(
                    expand: stage.expand == 1 ? nil : try conv("blocks.\(i).expand", expanded, cin, 1),
                    depthwise: try conv("blocks.\(i).depthwise", expanded, expanded, stage.kernel, depthwise: true),
                    project: try conv("blocks.\(i).project", stage.output, expanded, 1),
                    stride: stride, residual: stride == 1 && cin == stage.output))
            }
        }
        self.blocks = blocks
        let last = Self.stages.last!.output
        head = try conv("head", Self.featureCount, last, 1)
        let fcWeight = try weights.floats("fc.weight", shape: [Self.classCount, Self.featureCount])
        let fcBias = try weights.floats("fc.bias", shape: [Self.classCount])
        classifier = Conv(name: "fc", weight: fcWeight.baseAddress, bias: fcBias.baseAddress,
                          outChannels: Self.classCount, inChannels: Self.featureCount, kernel: 1)
    }

    /// Loads `efficientnet-lite0.safetensors` from a model directory.
    public convenience init(modelDirectory: String? = nil) throws {
        try self.init(weights: WeightFile(path: ModelPaths.model(ModelPaths.backbone, in: modelDirectory)))
    }

    /// Floats per image in the input: 3·224·224.
    public static var inputCount: Int { 3 * imageSize * imageSize }

    /// The largest trunk activation per image, in floats (sizes the workspace).
    var largestActivation: Int {
        var size = SamePadding(size: Self.imageSize, kernel: Self.stemKernel, stride: Self.stemStride).output
        var largest = max(Self.inputCount, Self.stemChannels * size * size)
        for block in blocks {
            largest = max(largest, block.depthwise.outChannels * size * size)
            size = SamePadding(size: size, kernel: block.depthwise.kernel, stride: block.stride).output
        }
        return max(largest, Self.featureCount * size * size)
    }

    /// The largest depthwise scratch plane, in floats.
    var largestDepthwiseScratch: Int {
        var size = SamePadding(size: Self.imageSize, kernel: Self.stemKernel, stride: Self.stemStride).output
        var largest = 0
        for block in blocks {
            largest = max(largest, depthwiseScratchCount(height: size, width: size,
                                                         kernel: block.depthwise.kernel, stride: block.stride))
            size = SamePadding(size: size, kernel: block.depthwise.kernel, stride: block.stride).output
        }
        return largest
    }
}
