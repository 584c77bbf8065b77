// The forward pass. Trunk tensors are channel-major over the batch,
// (C,N,H,W), so every 1×1 convolution is one GEMM over all N images:
// out (O, N·H·W) = w (O,C) · x (C, N·H·W).

extension EfficientNetLite {
    /// input (N,3,S,S) RGB (S = `imageSize`) 0–255 → features (N,1280), logits (N,1000).
    /// Allocates a workspace per call; hot loops should pass their own.
    public func forward(_ input: [Float], batch: Int, keepActivations: Bool = false,
                        keepGrid: Bool = false) throws -> BackboneOutput {
        try forward(input, batch: batch, workspace: EfficientNetWorkspace(), keepActivations: keepActivations,
                    keepGrid: keepGrid)
    }

    /// input (N,3,S,S) RGB (S = `imageSize`) 0–255 → features (N,1280), logits (N,1000),
    /// using `workspace`'s buffers (one workspace per thread).
    /// `keepGrid` also returns the 7×7 head map (`BackboneOutput.grid`); it
    /// throws for an input size whose head map is another size.
    public func forward(_ input: [Float], batch: Int, workspace: EfficientNetWorkspace,
                        keepActivations: Bool = false, keepGrid: Bool = false) throws -> BackboneOutput {
        guard batch >= 1 else { throw BackboneError.invalidBatch(batch) }
        guard input.count == batch * inputCount else {
            throw BackboneError.inputSize(expected: batch * inputCount, actual: input.count, side: imageSize)
        }
        if keepGrid && headSide != Self.gridSide {
            throw BackboneError.gridUnavailable(imageSize: imageSize, side: headSide)
        }
        workspace.reserve(for: self, batch: batch)
        var pass = ForwardPass(network: self, workspace: workspace, batch: batch, keep: keepActivations)
        pass.keepGrid = keepGrid
        var output = input.withUnsafeBufferPointer { pass.run($0.baseAddress!) }
        if keepGrid { output.grid = pass.grid }
        workspace.stats = workspace.stats + pass.stats
        return output
    }
}

extension EfficientNetLite {
    /// The outputs of one batched pass over `batch` images, computed one image
    /// at a time in one workspace. A workspace holds batch × one image's
    /// largest activations (about 20 MB each), and for a single call the
    /// kernel's zeroing of those fresh pages costs more than batching the
    /// 1×1 convolutions saves (an explanation's ten inputs: 460–500 → 400–440
    /// ms on a quiet core, 1.3 → 0.3 s on a loaded machine).
    public func forwardEach(_ input: [Float], batch: Int, workspace: EfficientNetWorkspace = EfficientNetWorkspace(),
                            keepGrid: Bool = false) throws -> BackboneOutput {
        guard batch >= 1 else { throw BackboneError.invalidBatch(batch) }
        guard input.count == batch * inputCount else {
            throw BackboneError.inputSize(expected: batch * inputCount, actual: input.count, side: imageSize)
        }
        var features: [Float] = [], logits: [Float] = [], grid: [Float] = []
        for image in 0..<batch {
            let one = Array(input[(image * inputCount)..<((image + 1) * inputCount)])
            let output = try forward(one, batch: 1, workspace: workspace, keepGrid: keepGrid)
            features += output.features
            logits += output.logits
            grid += output.grid ?? []
        }
        var out = BackboneOutput(batch: batch, features: features, logits: logits, activations: nil)
        if keepGrid { out.grid = grid }
        return out
    }
}

/// One pass's state: which buffer holds what, timing, recorded activations.
private struct ForwardPass {
    let network: EfficientNetLite
    let workspace: EfficientNetWorkspace
    let batch: Int
    let keep: Bool
    var stats = ForwardStats()
    var activations: [LayerActivation] = []
    /// The head map, image-major (N,cells,C), filled by `run` when `keepGrid`.
    var keepGrid = false
    var grid: [Float] = []
    /// Whether bias and ReLU6 of expand/head convs move into the next layer's
    /// pass (the depthwise copy, the pooling): only when intermediate outputs
    /// are not recorded.
    var deferEpilogue: Bool { !keep }

    init(network: EfficientNetLite, workspace: EfficientNetWorkspace, batch: Int, keep: Bool) {
        self.network = network
        self.workspace = workspace
        self.batch = batch
        self.keep = keep
    }

    mutating func run(_ input: UnsafePointer<Float>) -> BackboneOutput {
        let n = batch
        var x = workspace.trunk[0], expanded = workspace.trunk[1]
        var depthwiseOut = workspace.trunk[2], y = workspace.trunk[3]
        var size = network.imageSize

        // Stem: normalise (N,3,H,W) into y, im2col each image, one GEMM → x (32,N,112,112).
        var start = threadCPUSeconds()
        let inputCount = n * network.inputCount
        for i in 0..<inputCount { y[i] = (input[i] - 127) / 128 }
        let stem = network.stem
        let stemOut = SamePadding(size: size, kernel: stem.kernel, stride: EfficientNetLite.stemStride).output
        let columns = workspace.columns!
        let positions = stemOut * stemOut
        for image in 0..<n {
            im2col(columns, y + image * network.inputCount, channels: 3, height: size, width: size,
                   kernel: stem.kernel, stride: EfficientNetLite.stemStride,
                   ldCols: n * positions, columnOffset: image * positions)
        }
        stats.otherSeconds += threadCPUSeconds() - start
        convGEMM(x, stem, columns, columns: n * positions, depth: 3 * stem.kernel * stem.kernel,
                 activation: .relu6, residual: nil)
        if keep {
            record(stem.name, .conv(kernel: stem.kernel, stride: EfficientNetLite.stemStride), .relu6, nil,
                   input: y, [3, n, size, size], output: x, [stem.outChannels, n, stemOut, stemOut],
                   inputIsImageMajor: true)
        }
        size = stemOut

        for block in network.blocks {
            let blockInputIndex = activations.count
            let spatial = n * size * size
            let dw = block.depthwise
            let outSize = SamePadding(size: size, kernel: dw.kernel, stride: block.stride).output
            var source: UnsafeMutablePointer<Float> = x
            // Without recording, the expand conv's bias and ReLU6 happen inside
            // the depthwise copy instead of in a separate pass.
            var pendingBias: UnsafePointer<Float>?
            if let expand = block.expand {
                convGEMM(expanded, expand, x, columns: spatial, depth: expand.inChannels, activation: .relu6,
                         residual: nil, epilogue: !deferEpilogue)
                if deferEpilogue { pendingBias = expand.bias }
                if keep {
                    record(expand.name, .pointwise, .relu6, nil, input: x, [expand.inChannels, n, size, size],
                           output: expanded, [expand.outChannels, n, size, size])
                }
                source = expanded
            }
            runDepthwise(depthwiseOut, source, dw, size: size, stride: block.stride, inputBias: pendingBias)
            if keep {
                record(dw.name, .depthwise(kernel: dw.kernel, stride: block.stride), .relu6, nil,
                       input: source, [dw.outChannels, n, size, size],
                       output: depthwiseOut, [dw.outChannels, n, outSize, outSize])
            }
            let project = block.project
            let outSpatial = n * outSize * outSize
            convGEMM(y, project, depthwiseOut, columns: outSpatial, depth: project.inChannels, activation: .none,
                     residual: block.residual ? UnsafePointer(x) : nil)
            if keep {
                record(project.name, .pointwise, .none, block.residual ? blockInputIndex : nil,
                       input: depthwiseOut, [project.inChannels, n, outSize, outSize],
                       output: y, [project.outChannels, n, outSize, outSize])
            }
            swap(&x, &y)
            size = outSize
        }

        // Head 1×1 → 1280 (ReLU6), global average pool, classifier.
        let head = network.head
        let spatial = size * size
        convGEMM(y, head, x, columns: n * spatial, depth: head.inChannels, activation: .relu6, residual: nil,
                 epilogue: !deferEpilogue)
        if keep {
            record(head.name, .pointwise, .relu6, nil, input: x, [head.inChannels, n, size, size],
                   output: y, [head.outChannels, n, size, size])
        }
        start = threadCPUSeconds()
        if keepGrid { copyGrid(y, bias: deferEpilogue ? head.bias : nil, channels: head.outChannels, spatial: spatial) }
        var features = [Float](repeating: 0, count: n * EfficientNetLite.featureCount)
        var logits = [Float](repeating: 0, count: n * EfficientNetLite.classCount)
        let fc = network.classifier
        features.withUnsafeMutableBufferPointer { f in
            if !deferEpilogue {
                globalAveragePool(f.baseAddress!, y, channels: head.outChannels, batch: n, spatial: spatial,
                                  ldOut: EfficientNetLite.featureCount)
            } else {
                globalAveragePoolBiasReLU6(f.baseAddress!, y, bias: head.bias, channels: head.outChannels, batch: n,
                                           spatial: spatial, ldOut: EfficientNetLite.featureCount)
            }
            logits.withUnsafeMutableBufferPointer { l in
                // logits (N,1000) = features (N,1280) · fcᵀ (1280,1000) + bias
                for image in 0..<n {
                    (l.baseAddress! + image * fc.outChannels).update(from: fc.bias, count: fc.outChannels)
                }
                if n == 1 {
                    // One image: a matrix-vector product reads the 5 MB of weights once, unpacked.
                    gemv(l.baseAddress!, fc.weight, f.baseAddress!, rows: fc.outChannels, columns: fc.inChannels, beta: 1)
                } else {
                    gemm(l.baseAddress!, f.baseAddress!, fc.weight, m: n, n: fc.outChannels, k: fc.inChannels,
                         transposeB: true, beta: 1)
                }
            }
        }
        stats.otherSeconds += threadCPUSeconds() - start
        if keep {
            activations.append(LayerActivation(
                name: "pool", kind: .globalAveragePool, activation: .none, residualFrom: nil,
                inputShape: [head.outChannels, n, size, size], outputShape: [n, head.outChannels],
                input: Array(UnsafeBufferPointer(start: y, count: head.outChannels * n * spatial)), output: features))
            activations.append(LayerActivation(
                name: fc.name, kind: .classifier, activation: .none, residualFrom: nil,
                inputShape: [n, fc.inChannels], outputShape: [n, fc.outChannels], input: features, output: logits))
        }
        stats.images += n
        return BackboneOutput(batch: n, features: features, logits: logits, activations: keep ? activations : nil)
    }

    /// grid (N,S,C) ← the head output (C,N,S), applying the deferred bias and
    /// ReLU6 when `bias` is given. Cheap next to the head GEMM (one copy).
    private mutating func copyGrid(_ y: UnsafePointer<Float>, bias: UnsafePointer<Float>?, channels: Int, spatial: Int) {
        let n = batch
        grid = [Float](repeating: 0, count: n * spatial * channels)
        grid.withUnsafeMutableBufferPointer { g in
            for c in 0..<channels {
                let b = bias?[c] ?? 0
                for image in 0..<n {
                    let plane = y + (c * n + image) * spatial
                    for s in 0..<spatial {
                        let v = plane[s] + b
                        g[(image * spatial + s) * channels + c] = bias == nil ? v : min(max(v, 0), 6)
                    }
                }
            }
        }
    }

    /// out (C·N, OH, OW) ← relu6(depthwise(x (C·N, H, W))), timed.
    private mutating func runDepthwise(
        _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ dw: EfficientNetLite.Conv,
        size: Int, stride: Int, inputBias: UnsafePointer<Float>?
    ) {
        let start = threadCPUSeconds()
        depthwiseConv(out, x, weight: dw.weight, bias: dw.bias, channels: dw.outChannels, batch: batch,
                      height: size, width: size, kernel: dw.kernel, stride: stride,
                      activation: .relu6, scratch: workspace.depthwiseScratch!, inputBias: inputBias)
        let time = threadCPUSeconds() - start
        stats.depthwiseSeconds += time
        if workspace.profileLayers { stats.layerSeconds[dw.name, default: 0] += time }
    }

    /// out (O, P) ← act(w (O, K) · x (K, P) + bias [+ residual (O, P)]); with
    /// `epilogue` false only the BLAS product, the caller applying bias and act later.
    private mutating func convGEMM(
        _ out: UnsafeMutablePointer<Float>, _ conv: EfficientNetLite.Conv, _ x: UnsafePointer<Float>,
        columns: Int, depth: Int, activation: Activation, residual: UnsafePointer<Float>?, epilogue: Bool = true
    ) {
        let start = threadCPUSeconds()
        if epilogue {
            pointwiseConv(out, weight: conv.weight, x, bias: conv.bias, outChannels: conv.outChannels,
                          inChannels: depth, positions: columns, activation: activation, residual: residual)
        } else {
            gemm(out, conv.weight, x, m: conv.outChannels, n: columns, k: depth)
        }
        let time = threadCPUSeconds() - start
        stats.gemmSeconds += time
        if workspace.profileLayers { stats.layerSeconds[conv.name, default: 0] += time }
        stats.gemmFlops += 2 * Double(conv.outChannels) * Double(columns) * Double(depth)
    }

    /// Copies a layer's input and output. The stem's input is image-major
    /// (N,3,H,W) in memory; it is stored channel-major like the rest.
    private mutating func record(
        _ name: String, _ kind: LayerActivation.Kind, _ activation: Activation, _ residualFrom: Int?,
        input: UnsafePointer<Float>, _ inputShape: [Int], output: UnsafePointer<Float>, _ outputShape: [Int],
        inputIsImageMajor: Bool = false
    ) {
        var inputCopy = Array(UnsafeBufferPointer(start: input, count: inputShape.reduce(1, *)))
        if inputIsImageMajor {
            let (c, n, plane) = (inputShape[0], inputShape[1], inputShape[2] * inputShape[3])
            for ci in 0..<c {
                for ni in 0..<n {
                    for p in 0..<plane { inputCopy[(ci * n + ni) * plane + p] = input[(ni * c + ci) * plane + p] }
                }
            }
        }
        activations.append(LayerActivation(
            name: name, kind: kind, activation: activation, residualFrom: residualFrom,
            inputShape: inputShape, outputShape: outputShape, input: inputCopy,
            output: Array(UnsafeBufferPointer(start: output, count: outputShape.reduce(1, *)))))
    }
}
