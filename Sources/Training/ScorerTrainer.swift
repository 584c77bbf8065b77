import Foundation
import Model

/// Hyper-parameters of `train scorer` (Feng & Kim's recipe by default:
/// batches of 64 matched + 64 mismatched pairs, lr 1e-3 decayed ×0.96 every
/// 4096 iterations).
public struct ScorerTrainingOptions: Sendable, Equatable {
    public var batchSize = 128
    public var learningRate: Float = 1e-3
    public var decayRate: Float = 0.96
    public var decaySteps = 4096
    public var clipNorm: Float = 5
    /// Decoupled weight decay (AdamW); 0 disables it.
    public var weightDecay: Float = 0
    /// Share of mismatched pairs whose photo is a joint-space hard negative.
    public var hardNegativeFraction: Float = 0.5
    /// Hard negatives are drawn from this many nearest photos per caption.
    public var hardNegativePool = 10
    public var seed: UInt64 = 1
    public init() {}
}

/// A batch of (photo, caption, label) pairs.
public struct ScorerPairs: Sendable {
    public var photos: [Int]
    public var captions: [Int]
    public var labels: [Float]
}

/// Mini-batch training of the LSTM scorer with binary cross-entropy and Adam.
public struct ScorerTrainer: Sendable {
    public private(set) var parameters: ScorerParameters
    public let options: ScorerTrainingOptions
    public private(set) var iteration = 0
    private var optimizers: [Adam]
    private var rng: SeededGenerator

    public init(parameters: ScorerParameters, options: ScorerTrainingOptions) {
        self.parameters = parameters
        self.options = options
        optimizers = parameters.tensors.map {
            Adam(count: $0.count, learningRate: options.learningRate, weightDecay: options.weightDecay)
        }
        rng = SeededGenerator(seed: options.seed)
    }

    /// Staircase decay: lr · rate^⌊iteration / steps⌋.
    public var currentLearningRate: Float {
        options.learningRate * pow(options.decayRate, Float(iteration / max(options.decaySteps, 1)))
    }

    /// Half matched pairs (a caption with its photo), half mismatched (the
    /// same captions with another photo: a hard negative with probability
    /// `hardNegativeFraction`, else a random photo).
    public mutating func sampleBatch(_ data: ScorerTrainingData) -> ScorerPairs {
        let half = max(1, options.batchSize / 2), n = data.photoCount
        var pairs = ScorerPairs(photos: [], captions: [], labels: [])
        for _ in 0..<half {
            let caption = data.usableCaptions.randomElement(using: &rng)!
            let own = data.photoOfCaption[caption]
            pairs.photos.append(own); pairs.captions.append(caption); pairs.labels.append(1)
            var negative: Int
            let hard = data.hardNegatives.isEmpty ? [] : data.hardNegatives[caption].prefix(options.hardNegativePool)
            if !hard.isEmpty, Float.random(in: 0..<1, using: &rng) < options.hardNegativeFraction {
                negative = hard.randomElement(using: &rng)!
            } else {
                repeat { negative = Int.random(in: 0..<n, using: &rng) } while negative == own && n > 1
            }
            pairs.photos.append(negative); pairs.captions.append(caption); pairs.labels.append(0)
        }
        // Longest captions first: the LSTM then skips the padding of shorter ones.
        let order = pairs.captions.indices.sorted { data.queries[pairs.captions[$0]].count > data.queries[pairs.captions[$1]].count }
        return ScorerPairs(photos: order.map { pairs.photos[$0] }, captions: order.map { pairs.captions[$0] },
                           labels: order.map { pairs.labels[$0] })
    }

    /// Loss and gradients of one batch at the current parameters.
    public func lossAndGradients(_ pairs: ScorerPairs, data: ScorerTrainingData) throws -> (loss: Float, gradients: ScorerParameters) {
        let batch = try ScorerBatch(features: pairs.photos.map(data.feature), queries: zip(pairs.captions, pairs.photos).map { data.query($0, photo: $1) })
        let activations = try parameters.forward(batch)
        let (loss, dLogits) = binaryCrossEntropyWithLogits(activations.logits, labels: pairs.labels)
        return (loss, parameters.backward(batch, activations, dLogits: dLogits))
    }

    /// One Adam step on a freshly sampled batch; returns (loss, gradient norm before clipping).
    @discardableResult
    public mutating func step(_ data: ScorerTrainingData) throws -> (loss: Float, gradientNorm: Float) {
        let pairs = sampleBatch(data)
        let (loss, gradients) = try lossAndGradients(pairs, data: data)
        var g = gradients.tensors
        let norm = clipGradients(&g, maxNorm: options.clipNorm)
        let lr = currentLearningRate
        var tensors = parameters.tensors
        for i in tensors.indices {
            optimizers[i].learningRate = lr
            optimizers[i].update(&tensors[i], gradients: g[i])
        }
        parameters.tensors = tensors
        iteration += 1
        return (loss, norm)
    }
}
