// EB (or the gradient) from the backbone's pooled features f (1280) down to
// a chosen feature map of EfficientNet-Lite0, walking the recorded layers in
// reverse. Per layer kind:
// - global average pool: each channel's share goes to its positions ∝ x⁺;
// - 1×1 / k×k / depthwise convolutions: the rule of Excitation.swift with the
//   folded BatchNorm bias excluded; ReLU6 outputs are ≥ 0, the linear project
//   output is signed and its signs pick the winning contributions;
// - residual add: split between the skip and the branch by the parts that
//   share the sum's sign; the skip share joins the block input.

extension Excitation {
    /// Where the spatial map is read (for a 224×224 input).
    public enum FeatureMap: String, Sendable, CaseIterable {
        /// The head's 1280 channels at 7×7.
        case head7
        /// The last 14×14 block output (112 channels), input of block 11.
        case block14
        /// The last 28×28 block output (40 channels), input of block 5.
        case block28

        /// The layer whose *input* is the map, or nil for the head output.
        var inputOfLayer: String? {
            switch self {
            case .head7: return nil
            case .block14: return "blocks.11.expand"
            case .block28: return "blocks.5.expand"
            }
        }
    }

    public enum Method: String, Sendable, CaseIterable {
        /// Marginal winning probability (Zhang et al.).
        case excitation
        /// gradient × activation, summed over channels, negatives clipped.
        case gradient
    }

    /// Spatial saliency (H,W) at `map` from a signal on the pooled features:
    /// for `.excitation` the probability P(f) (1280), for `.gradient` ∂s/∂f (1280).
    /// `activations` come from `forward(keepActivations: true)` with batch 1.
    public static func backbone(_ network: EfficientNetLite, activations: [LayerActivation],
                                featureSignal: [Float], map: FeatureMap = .block14,
                                method: Method = .excitation,
                                onLayer: ((_ name: String, _ signalAtInput: [Float]) -> Void)? = nil) throws -> SaliencyMap {
        try SaliencyError.check("feature signal", featureSignal.count, EfficientNetLite.featureCount)
        guard let poolIndex = activations.firstIndex(where: { $0.kind == .globalAveragePool }) else {
            throw SaliencyError(.missingActivation, "no pooling layer recorded; run forward with keepActivations")
        }
        let pool = activations[poolIndex]
        guard pool.inputShape.count == 4, pool.inputShape[1] == 1 else {
            throw SaliencyError(.shapeMismatch, "explanations need a batch of 1, got pool input \(pool.inputShape)")
        }
        let pixels = pool.inputShape[2] * pool.inputShape[3]
        let signal: [Float]
        switch method {
        case .excitation:
            signal = try globalAveragePool(pOut: featureSignal, input: pool.input, channels: pool.inputShape[0], pixels: pixels)
        case .gradient:
            var spread = [Float](repeating: 0, count: pool.input.count)
            for c in 0..<pool.inputShape[0] { for p in 0..<pixels { spread[c * pixels + p] = featureSignal[c] / Float(pixels) } }
            signal = spread
        }
        return try backbone(network, activations: activations, headSignal: signal, map: map, method: method, onLayer: onLayer)
    }

    /// The same walk started from a signal on the head map (C,H,W), the
    /// pooling layer's input: P there for `.excitation`, ∂s/∂head for `.gradient`.
    public static func backbone(_ network: EfficientNetLite, activations: [LayerActivation],
                                headSignal: [Float], map: FeatureMap = .block14,
                                method: Method = .excitation,
                                onLayer: ((_ name: String, _ signalAtInput: [Float]) -> Void)? = nil) throws -> SaliencyMap {
        guard let poolIndex = activations.firstIndex(where: { $0.kind == .globalAveragePool }) else {
            throw SaliencyError(.missingActivation, "no pooling layer recorded; run forward with keepActivations")
        }
        let pool = activations[poolIndex]
        guard pool.inputShape.count == 4, pool.inputShape[1] == 1 else {
            throw SaliencyError(.shapeMismatch, "explanations need a batch of 1, got pool input \(pool.inputShape)")
        }
        try SaliencyError.check("head signal", headSignal.count, pool.input.count)
        var signal = headSignal
        var atTensor = pool.input, shape = pool.inputShape
        var pendingSkip: [Int: [Float]] = [:]
        for index in stride(from: poolIndex - 1, through: 0, by: -1) {
            let layer = activations[index]
            if map.inputOfLayer == nil && layer.name == "head" { break }
            signal = try backward(network, layer, index: index, signal: signal, activations: activations,
                                  method: method, pendingSkip: &pendingSkip)
            if let skip = pendingSkip.removeValue(forKey: index) { signal = zip(signal, skip).map(+) }
            onLayer?(layer.name, signal)
            atTensor = layer.input
            shape = layer.inputShape
            if layer.name == map.inputOfLayer { break }
        }
        if map.inputOfLayer == nil { atTensor = activations[poolIndex].input; shape = activations[poolIndex].inputShape }
        if method == .gradient { signal = zip(signal, atTensor).map { $0 * $1 } }
        var result = try channelSum(signal, channels: shape[0], height: shape[2], width: shape[3])
        if method == .gradient { result.values = result.values.map { max($0, 0) } }
        return result
    }

    /// One recorded layer backwards: the signal at its output → at its input.
    private static func backward(_ network: EfficientNetLite, _ layer: LayerActivation, index: Int, signal: [Float],
                                 activations: [LayerActivation], method: Method,
                                 pendingSkip: inout [Int: [Float]]) throws -> [Float] {
        var signal = signal
        var output = layer.output
        if let from = layer.residualFrom {
            let skip = activations[from].input
            let branch = zip(output, skip).map { $0 - $1 }
            switch method {
            case .excitation:
                let split = try residual(pOut: signal, skip, branch)
                pendingSkip[from] = split.a
                signal = split.b
            case .gradient:
                pendingSkip[from] = signal
            }
            output = branch
        }
        let (kernel, stride, groups): (Int, Int, Int)
        switch layer.kind {
        case .pointwise: (kernel, stride, groups) = (1, 1, 1)
        case let .conv(k, s): (kernel, stride, groups) = (k, s, 1)
        case let .depthwise(k, s): (kernel, stride, groups) = (k, s, layer.inputShape[0])
        case .globalAveragePool, .classifier:
            throw SaliencyError(.missingActivation, "unexpected \(layer.kind) below the pooling layer")
        }
        let shape = ConvShape(inChannels: layer.inputShape[0], outChannels: layer.outputShape[0], groups: groups,
                              height: layer.inputShape[2], width: layer.inputShape[3], kernel: kernel, stride: stride)
        let weight = try network.weights.floats(layer.name + ".weight").toArray()
        switch method {
        case .excitation:
            let signed = layer.activation == .relu6 ? nil : output
            return try conv(pOut: signal, input: layer.input, weight: weight, shape: shape, output: signed)
        case .gradient:
            if layer.activation == .relu6 { signal = relu6Gradient(signal, output: layer.output) }
            return try convGradient(signal, weight: weight, shape: shape)
        }
    }
}
