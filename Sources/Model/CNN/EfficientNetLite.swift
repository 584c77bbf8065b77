import Foundation
import ModelFormat

/// EfficientNet-Lite0, -Lite1 or -Lite2 (ImageNet-1k) with BatchNorm folded
/// into the convolutions; which one, and its input size, come from the weight
/// file's metadata (`blocks`, `image_size`, written by the converter).
///
/// Architecture: stem 3×3/2 conv → 32, ReLU6; MBConv blocks (1×1 expand →
/// ReLU6 → depthwise k×k → ReLU6 → 1×1 project, identity residual when the
/// stride is 1 and shapes match; 16 in Lite0, 21 in Lite1/2); head 1×1 →
/// 1280, ReLU6; global average pool; FC 1000. TensorFlow SAME padding; input
/// RGB 0–255 normalised as (x−127)/128.
///
/// Immutable after init and safe to share between threads; each thread runs
/// `forward` with its own `EfficientNetWorkspace`.
public final class EfficientNetLite: @unchecked Sendable {
    public static let featureCount = 1280
    public static let classCount = 1000
    /// The input side whose head map is the 7×7 grid that the grid consumers
    /// (stored cells, explanations, the tagger) are built on: Lite0's own.
    public static let gridInputSize = 224
    /// Floats per image at `gridInputSize`: 3·224·224.
    public static var gridInputCount: Int { 3 * gridInputSize * gridInputSize }
    /// Sides of the grid the grid consumers expect.
    public static let gridSide = 7
    static let stemChannels = 32
    static let stemKernel = 3
    static let stemStride = 2

    /// One block of the table: kernel, stride, expand ratio, in and out channels.
    struct BlockShape: Equatable {
        let kernel: Int, stride: Int, expand: Int, input: Int, output: Int
    }

    /// "efficientnet-lite0", "-lite1", "-lite2" (the file's `model`).
    public let name: String
    /// Input side in pixels: 224, 240 or 260 (the resolution it was trained at).
    public let imageSize: Int
    /// Floats per image in the input: 3·imageSize².
    public var inputCount: Int { 3 * imageSize * imageSize }
    /// Side of the head map (7 at 224, 8 at 240, 9 at 260).
    public let headSide: Int
    /// The largest trunk activation per image, in floats (sizes the workspace).
    let largestActivation: Int
    /// The largest depthwise scratch plane, in floats.
    let largestDepthwiseScratch: Int

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

    /// `imageSize` overrides the file's input size (the network is fully
    /// convolutional; e.g. Lite2 at 224 gives the 7×7 grid).
    public init(weights: WeightFile, imageSize: Int? = nil) throws {
        self.weights = weights
        name = weights.metadata["model"] ?? "efficientnet-lite0"
        let table = try Self.blockTable(weights)
        let size = try imageSize ?? weights.metadata["image_size"].map {
            guard let size = Int($0) else { throw WeightFileError.malformed(path: weights.path, reason: "image_size \"\($0)\" is not a number") }
            return size
        } ?? Self.gridInputSize
        guard (32...1024).contains(size) else { throw WeightFileError.malformed(path: weights.path, reason: "input size \(size) is outside 32…1024") }
        self.imageSize = size
        func conv(_ name: String, _ o: Int, _ c: Int, _ k: Int, depthwise: Bool = false) throws -> Conv {
            let shape = depthwise ? [o, 1, k, k] : [o, c, k, k]
            let w = try weights.floats(name + ".weight", shape: shape)
            let b = try weights.floats(name + ".bias", shape: [o])
            return Conv(name: name, weight: w.baseAddress, bias: b.baseAddress, outChannels: o, inChannels: c, kernel: k,
                        depthwise: depthwise)
        }
        stem = try conv("stem", Self.stemChannels, 3, Self.stemKernel)
        var blocks: [Block] = []
        for (i, shape) in table.enumerated() {
            let expanded = shape.input * shape.expand
            blocks.append(Block(
                expand: shape.expand == 1 ? nil : try conv("blocks.\(i).expand", expanded, shape.input, 1),
                depthwise: try conv("blocks.\(i).depthwise", expanded, expanded, shape.kernel, depthwise: true),
                project: try conv("blocks.\(i).project", shape.output, expanded, 1),
                stride: shape.stride, residual: shape.stride == 1 && shape.input == shape.output))
        }
        self.blocks = blocks
        head = try conv("head", Self.featureCount, table.last!.output, 1)
        let fcWeight = try weights.floats("fc.weight", shape: [Self.classCount, Self.featureCount])
        let fcBias = try weights.floats("fc.bias", shape: [Self.classCount])
        classifier = Conv(name: "fc", weight: fcWeight.baseAddress, bias: fcBias.baseAddress,
                          outChannels: Self.classCount, inChannels: Self.featureCount, kernel: 1)
        // One walk down the spatial sides sizes the head map and the workspace.
        var side = SamePadding(size: size, kernel: Self.stemKernel, stride: Self.stemStride).output
        var activation = max(3 * size * size, Self.stemChannels * side * side), scratch = 0
        for block in blocks {
            activation = max(activation, block.depthwise.outChannels * side * side)
            scratch = max(scratch, depthwiseScratchCount(height: side, width: side, kernel: block.depthwise.kernel,
                                                         stride: block.stride))
            side = SamePadding(size: side, kernel: block.depthwise.kernel, stride: block.stride).output
        }
        headSide = side
        largestActivation = max(activation, Self.featureCount * side * side)
        largestDepthwiseScratch = scratch
    }

    /// The file's block table (metadata `blocks`: [[kernel, stride, expand, in, out], …],
    /// written by every converter version). Chained: each block's input is the previous output.
    static func blockTable(_ weights: WeightFile) throws -> [BlockShape] {
        guard let text = weights.metadata["blocks"] else {
            throw WeightFileError.malformed(path: weights.path, reason: "no block table in its metadata; run scripts/convert-models")
        }
        guard let rows = try? JSONDecoder().decode([[Int]].self, from: Data(text.utf8)), !rows.isEmpty,
              rows.allSatisfy({ $0.count == 5 && $0.allSatisfy { $0 > 0 } && [1, 2].contains($0[1]) && [3, 5].contains($0[0]) })
        else { throw WeightFileError.malformed(path: weights.path, reason: "blocks metadata \"\(text.prefix(80))\" is not a block table") }
        let table = rows.map { BlockShape(kernel: $0[0], stride: $0[1], expand: $0[2], input: $0[3], output: $0[4]) }
        var channels = stemChannels
        for (i, block) in table.enumerated() {
            guard block.input == channels else {
                throw WeightFileError.malformed(path: weights.path, reason: "block \(i) takes \(block.input) channels, the previous layer gives \(channels)")
            }
            channels = block.output
        }
        return table
    }

    /// Loads `file` (default `efficientnet-lite0.safetensors`) from a model directory.
    public convenience init(modelDirectory: String? = nil, file: String = ModelPaths.backbone) throws {
        try self.init(weights: WeightFile(path: ModelPaths.model(file, in: modelDirectory)))
    }

}
