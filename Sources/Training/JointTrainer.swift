import Model

/// Hyper-parameters of `train embed`.
public struct JointTrainingOptions: Sendable, Equatable {
    public var losses = LossWeights.all
    public var margin: Float = 0.2
    public var learningRate: Float = 1e-4
    public var weightDecay: Float = 0
    public var batchSize = 128
    public var epochs = 5
    public var hardNegatives = false
    /// Epochs with sampled negatives before hardest negatives start (VSE∞'s warm-up).
    public var warmupEpochs = 0
    /// Adam learning rate of the grid pooling's θ (it must travel much further than W).
    public var poolLearningRate: Float = 1e-2
    /// Learn only the grid pooling's θ, keeping W, c, A, d as started.
    public var poolingOnly = false
    public var positivePool = 1
    public var visualNeighbours = 3
    public var seed: UInt64 = 1
    public init() {}
}

/// Mini-batch training of `JointParameters` with the three ranking losses
/// and Adam; one Adam per tensor.
public struct JointTrainer: Sendable {
    public private(set) var parameters: JointParameters
    public let options: JointTrainingOptions
    /// Whether this epoch uses hardest negatives (off during the warm-up).
    public var hardNegatives: Bool
    private var optimizers: [Adam]
    private var poolOptimizer: Adam?

    public init(parameters: JointParameters, options: JointTrainingOptions) {
        self.parameters = parameters
        self.options = options
        let sizes = [parameters.imageWeight.count, parameters.imageBias.count,
                     parameters.textWeight.count, parameters.textBias.count]
        optimizers = sizes.map { Adam(count: $0, learningRate: options.learningRate, weightDecay: options.weightDecay) }
        poolOptimizer = parameters.gridPooling.map { Adam(count: $0.count, learningRate: options.poolLearningRate) }
        hardNegatives = options.hardNegatives
    }

    /// Loss and gradients of one batch of triplets at the current parameters.
    public func lossAndGradients(_ batch: [Triplet], data: JointTrainingData,
                                 similarity: CaptionSimilarity?) -> (loss: Float, gradients: JointGradients) {
        let p = parameters, d = p.dimension, b = batch.count
        // Images of q, d⁺, d⁻, Lv's d⁺ stacked: rows [0,B) q, [B,2B) d⁺, [2B,3B) d⁻, [3B,4B) visual d⁺;
        // captions of q, d⁺, d⁻: rows [0,B), [B,2B), [2B,3B).
        let photos = batch.map(\.query) + batch.map(\.positive) + batch.map(\.negative) + batch.map(\.visualPositive)
        let captions = batch.map(\.queryCaption) + batch.map(\.positiveCaption) + batch.map(\.negativeCaption)
        let useHard = hardNegatives && similarity != nil
        let w = options.losses, m = options.margin
        let image = ImagePass(p, data: data, photos: photos, used: [
            w.visual > 0 || w.imageToText > 0,                    // φq: Lv's and Lt1's anchor
            w.textToImage > 0,                                     // φ₊: Lt2's positive (and hard pool)
            !useHard && (w.visual > 0 || w.textToImage > 0),       // φ₋: the sampled negatives
            w.visual > 0,                                          // Lv's φ₊
        ], batch: b)
        let text = p.textForward(sentences: JointTrainingData.gather(data.sentences, width: d, rows: captions), batch: 3 * b)
        let phi = image.output, theta = text.output
        func slice(_ m: [Float], _ part: Int) -> [Float] { Array(m[(part * b * d)..<((part + 1) * b * d)]) }
        let (phiQ, phiP, phiN, phiV) = (slice(phi, 0), slice(phi, 1), slice(phi, 2), slice(phi, 3))
        let (thetaQ, thetaP, thetaN) = (slice(theta, 0), slice(theta, 1), slice(theta, 2))

        let zero = [Float](repeating: 0, count: b * d)
        var (dPhiQ, dPhiP, dPhiN, dPhiV) = (zero, zero, zero, zero)
        var (dThetaQ, dThetaP, dThetaN) = (zero, zero, zero)
        let ownNegative = Array(0..<b)
        // VSE++: the hardest in-batch positive of another triplet that is less caption-similar to q.
        func hard(_ anchors: [Float], _ pool: [Float], positives: KeyPath<Triplet, Int> = \.positive) -> [Int] {
            guard hardNegatives, let similarity else { return ownNegative }
            return hardestNegatives(anchors: anchors, pool: pool, dimension: d, fallback: ownNegative) { i, k in
                let candidate = batch[k][keyPath: positives], q = batch[i].query, own = batch[i][keyPath: positives]
                return candidate != q && candidate != own && similarity.similarity(q, candidate) < similarity.similarity(q, own)
            }
        }
        var loss: Float = 0
        if w.visual > 0 {
            let pool = useHard ? phiV : phiN, index = hard(phiQ, phiV, positives: \.visualPositive)
            var dPool = [Float](repeating: 0, count: pool.count)
            loss += tripletHingeLoss(anchors: phiQ, positives: phiV, negativePool: pool, negativeIndex: index,
                                     margin: m, weight: w.visual, dimension: d,
                                     dAnchors: &dPhiQ, dPositives: &dPhiV, dNegativePool: &dPool)
            if useHard { add(&dPhiV, dPool) } else { add(&dPhiN, dPool) }
        }
        if w.imageToText > 0 {
            let pool = useHard ? thetaP : thetaN, index = hard(phiQ, thetaP)
            var dPool = [Float](repeating: 0, count: pool.count)
            loss += tripletHingeLoss(anchors: phiQ, positives: thetaP, negativePool: pool, negativeIndex: index,
                                     margin: m, weight: w.imageToText, dimension: d,
                                     dAnchors: &dPhiQ, dPositives: &dThetaP, dNegativePool: &dPool)
            if useHard { add(&dThetaP, dPool) } else { add(&dThetaN, dPool) }
        }
        if w.textToImage > 0 {
            let pool = useHard ? phiP : phiN, index = hard(thetaQ, phiP)
            var dPool = [Float](repeating: 0, count: pool.count)
            loss += tripletHingeLoss(anchors: thetaQ, positives: phiP, negativePool: pool, negativeIndex: index,
                                     margin: m, weight: w.textToImage, dimension: d,
                                     dAnchors: &dThetaQ, dPositives: &dPhiP, dNegativePool: &dPool)
            if useHard { add(&dPhiP, dPool) } else { add(&dPhiN, dPool) }
        }
        var gradients = JointGradients(like: p)
        image.backward(p, &gradients, outputGradient: dPhiQ + dPhiP + dPhiN + dPhiV)
        if w.imageToText > 0 || w.textToImage > 0 {
            p.textBackward(&gradients, outputGradient: dThetaQ + dThetaP + dThetaN, text)
        }
        return (loss, gradients)
    }

    /// One Adam step on one batch; returns the batch loss.
    @discardableResult
    public mutating func step(_ batch: [Triplet], data: JointTrainingData, similarity: CaptionSimilarity?) -> Float {
        let (loss, g) = lossAndGradients(batch, data: data, similarity: similarity)
        if let dTheta = g.gridPooling, parameters.gridPooling != nil {
            poolOptimizer!.update(&parameters.gridPooling!, gradients: dTheta)
        }
        if options.poolingOnly { return loss }
        optimizers[0].update(&parameters.imageWeight, gradients: g.imageWeight)
        optimizers[1].update(&parameters.imageBias, gradients: g.imageBias)
        if options.losses.imageToText > 0 || options.losses.textToImage > 0 {
            optimizers[2].update(&parameters.textWeight, gradients: g.textWeight)
            optimizers[3].update(&parameters.textBias, gradients: g.textBias)
        }
        return loss
    }

    /// One epoch over `triplets` in mini-batches; `progress` gets (done, mean loss so far).
    public mutating func epoch(_ triplets: [Triplet], data: JointTrainingData, similarity: CaptionSimilarity,
                               progress: (Int, Float) -> Void = { _, _ in }) -> Float {
        var total: Float = 0, batches = 0
        var start = 0
        while start < triplets.count {
            let batch = Array(triplets[start..<min(start + options.batchSize, triplets.count)])
            total += step(batch, data: data, similarity: similarity)
            batches += 1
            start += batch.count
            progress(batch.count, total / Float(batches))
        }
        return batches > 0 ? total / Float(batches) : 0
    }
}

/// φ of a batch's stacked photo rows, through the pooled or the grid path.
/// The grid path embeds each distinct photo once (q is usually its own d⁺)
/// and sums the rows' gradients back onto it, since it costs 49× more.
private struct ImagePass {
    let output: [Float]
    private let pooled: ProjectionActivations?
    private let grid: GridImageActivations?
    private let slotOfRow: [Int]

    /// photos: the four stacked groups of `batch` rows; `used[g]` says
    /// whether any loss reads group g. The grid path maps unread rows onto
    /// a read photo (their gradient is zero), so they cost nothing.
    init(_ p: JointParameters, data: JointTrainingData, photos: [Int], used: [Bool], batch: Int) {
        let d = p.dimension
        if p.gridPooling != nil {
            guard let grids = data.grid else { preconditionFailure("JointTrainer: a grid model needs the training grids") }
            let stand = used.firstIndex(of: true).map { $0 * batch } ?? 0
            let photos = photos.enumerated().map { used[$0.offset / batch] ? $0.element : photos[stand + $0.offset % batch] }
            var unique: [Int] = [], slot: [Int: Int] = [:]
            let rows = photos.map { photo -> Int in
                if let s = slot[photo] { return s }
                slot[photo] = unique.count
                unique.append(photo)
                return unique.count - 1
            }
            let act = p.gridImageForward(bridge: JointTrainingData.gather(data.bridge, width: d, rows: unique),
                                         grid: grids.gather(unique), batch: unique.count)
            output = JointTrainingData.gather(act.output, width: d, rows: rows)
            (pooled, grid, slotOfRow) = (nil, act, rows)
        } else {
            let act = p.imageForward(bridge: JointTrainingData.gather(data.bridge, width: d, rows: photos),
                                     features: JointTrainingData.gather(data.features, width: data.featureWidth, rows: photos),
                                     batch: photos.count)
            output = act.output
            (pooled, grid, slotOfRow) = (act, nil, [])
        }
    }

    func backward(_ p: JointParameters, _ gradients: inout JointGradients, outputGradient dy: [Float]) {
        if let pooled { p.imageBackward(&gradients, outputGradient: dy, pooled); return }
        guard let grid else { return }
        let d = p.dimension
        var summed = [Float](repeating: 0, count: grid.projection.batch * d)
        for (row, s) in slotOfRow.enumerated() { for j in 0..<d { summed[s * d + j] += dy[row * d + j] } }
        p.gridImageBackward(&gradients, outputGradient: summed, grid)
    }
}

private func add(_ a: inout [Float], _ b: [Float]) {
    for i in a.indices { a[i] += b[i] }
}
