import Model

public struct TagTrainingOptions: Sendable {
    public var batchSize = 64
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0
    public var clipNorm: Float = 5
    /// Training lists are cut to their first this many tags (the rest are
    /// single mentions that add noise, not order).
    public var maxListLength = 6
    /// Fraction of a batch's feature values zeroed (the rest scaled up to
    /// keep the mean): 6,000 photos are few for 1280-d inputs.
    public var inputDropout: Float = 0
    /// Each step's softmax leaves out the tags listed before it (see
    /// `orderedTagCrossEntropy`).
    public var excludeListed = false
    /// Weight of the remaining true tags in each step's target (see
    /// `orderedTagCrossEntropy`): 0 is the plain ordered list.
    public var setSmoothing: Float = 0
    /// Decay of the weight average that is evaluated and kept (0: the last
    /// weights themselves).
    public var weightAverage: Float = 0
    public var seed: UInt64 = 1
    public init() {}
}

/// Adam over the tag ranker (either image input) or the linear baseline,
/// one random batch of photos per step.
public struct TagTrainer {
    public private(set) var parameters: TagParameters
    public let options: TagTrainingOptions
    private var optimisers: [Adam]
    private var random: SeededGenerator
    private var average: WeightAverage?

    public init(parameters: TagParameters, options: TagTrainingOptions) {
        self.parameters = parameters
        self.options = options
        optimisers = parameters.tensors.map {
            Adam(count: $0.count, learningRate: options.learningRate, weightDecay: options.weightDecay)
        }
        random = SeededGenerator(seed: options.seed &+ 0x7A65)
        if options.weightAverage > 0 { average = WeightAverage(initial: parameters.tensors, decay: options.weightAverage) }
    }

    /// What is evaluated and saved: the weight average when there is one.
    public var evaluated: TagParameters {
        guard let average else { return parameters }
        var p = parameters
        p.tensors = average.tensors
        return p
    }

    /// One batch: returns its mean sequence loss.
    @discardableResult
    public mutating func step(_ data: TagTrainingData) throws -> Float {
        let batch = (0..<min(options.batchSize, data.count)).map { _ in Int(random.next() % UInt64(data.count)) }
        let targets = batch.map { Array(data.lists[$0].prefix(options.maxListLength)) }
        let steps = (targets.map(\.count).max() ?? 0) + 1
        let features = dropout(try data.inputs(batch, cells: parameters.shape.cells), rate: options.inputDropout, random: &random)
        let act = try parameters.forward(features: features, count: batch.count, steps: steps)
        let (loss, dLogits) = orderedTagCrossEntropy(logits: act.logits, targets: targets, steps: steps,
                                                     outputSize: parameters.shape.outputSize, endToken: parameters.shape.endToken,
                                                     excludingListed: options.excludeListed, setSmoothing: options.setSmoothing)
        var gradients = parameters.backward(act, dLogits: dLogits).tensors
        clipGradients(&gradients, maxNorm: options.clipNorm)
        var tensors = parameters.tensors
        for i in tensors.indices { optimisers[i].update(&tensors[i], gradients: gradients[i]) }
        parameters.tensors = tensors
        average?.update(with: tensors)
        return loss
    }
}

/// Adam over the per-tag logistic regressions, one random batch per step;
/// a photo's labels are every tag its captions mention.
public struct TagLinearTrainer {
    public private(set) var classifier: TagLinearClassifier
    private var optimisers: [Adam]
    private var random: SeededGenerator
    private let batchSize: Int
    private let inputDropout: Float
    private var average: WeightAverage?

    public init(featureSize: Int, tagCount: Int, options: TagTrainingOptions) {
        classifier = TagLinearClassifier(featureSize: featureSize, tagCount: tagCount)
        optimisers = [Adam(count: tagCount * featureSize, learningRate: options.learningRate, weightDecay: options.weightDecay),
                      Adam(count: tagCount, learningRate: options.learningRate)]
        random = SeededGenerator(seed: options.seed &+ 0x11AE)
        batchSize = options.batchSize
        inputDropout = options.inputDropout
        if options.weightAverage > 0 {
            average = WeightAverage(initial: [classifier.weight, classifier.bias], decay: options.weightAverage)
        }
    }

    /// What is evaluated and saved: the weight average when there is one.
    public var evaluated: TagLinearClassifier {
        guard let average else { return classifier }
        var c = classifier
        (c.weight, c.bias) = (average.tensors[0], average.tensors[1])
        return c
    }

    @discardableResult
    public mutating func step(_ data: TagTrainingData) -> Float {
        let batch = (0..<min(batchSize, data.count)).map { _ in Int(random.next() % UInt64(data.count)) }
        let v = classifier.tagCount
        var labels = [Float](repeating: 0, count: batch.count * v)
        for (s, photo) in batch.enumerated() { for tag in data.lists[photo] { labels[s * v + tag] = 1 } }
        let features = dropout(data.features(batch), rate: inputDropout, random: &random)
        let (loss, dW, db) = classifier.lossAndGradient(features: features, labels: labels, count: batch.count)
        optimisers[0].update(&classifier.weight, gradients: dW)
        optimisers[1].update(&classifier.bias, gradients: db)
        average?.update(with: [classifier.weight, classifier.bias])
        return loss
    }
}

/// Inverted dropout of training inputs: each value zeroed with probability
/// `rate`, the others divided by 1 − rate. rate 0 returns the values as they are.
func dropout(_ values: [Float], rate: Float, random: inout SeededGenerator) -> [Float] {
    guard rate > 0 else { return values }
    let keep = 1 - rate, scale = 1 / keep
    return values.map { value in
        Float(random.next() >> 40) / Float(1 << 24) < keep ? value * scale : 0
    }
}

/// The top `k` tags each method ranks for every photo of `data`, in batches.
public enum TagRankings {
    public static func lstm(_ parameters: TagParameters, _ data: TagTrainingData, k: Int = 10,
                            fill: TagRankingFill = .continueDecoding) throws -> [[Int]] {
        var out: [[Int]] = []
        for start in stride(from: 0, to: data.count, by: 256) {
            let rows = Array(start..<min(start + 256, data.count))
            out += try parameters.rank(features: data.inputs(rows, cells: parameters.shape.cells), count: rows.count, k: k, fill: fill)
        }
        return out
    }

    /// Each photo's greedy list as the daemon stores it (up to `maxTags`,
    /// stopping at the end token), before any cutoff.
    public static func lists(_ parameters: TagParameters, _ data: TagTrainingData,
                             maxTags: Int = Tagger.maxTags) throws -> [[(tag: Int, score: Float)]] {
        var out: [[(tag: Int, score: Float)]] = []
        for start in stride(from: 0, to: data.count, by: 256) {
            let rows = Array(start..<min(start + 256, data.count))
            out += try parameters.decode(features: data.inputs(rows, cells: parameters.shape.cells), count: rows.count,
                                         maxTags: maxTags, stopAtEnd: true)
        }
        return out
    }

    public static func linear(_ classifier: TagLinearClassifier, _ data: TagTrainingData, k: Int = 10) -> [[Int]] {
        var out: [[Int]] = []
        let v = classifier.tagCount
        for start in stride(from: 0, to: data.count, by: 256) {
            let rows = Array(start..<min(start + 256, data.count))
            let z = classifier.logits(features: data.features(rows), count: rows.count)
            for s in rows.indices {
                let scores = z[(s * v)..<((s + 1) * v)]
                out.append(Array(scores.indices.sorted { (scores[$0], $1) > (scores[$1], $0) }.prefix(k).map { $0 - s * v }))
            }
        }
        return out
    }
}
