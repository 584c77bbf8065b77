/// Sizes of the tag ranker.
public struct TagShape: Sendable, Equatable {
    /// F: the backbone's pooled feature size (1280 for EfficientNet-Lite0).
    public var featureSize: Int
    /// E: the projected image the LSTM reads.
    public var inputSize: Int
    /// H: the LSTM's hidden size.
    public var hiddenSize: Int
    /// V: the tag vocabulary; the softmax has V + 1 outputs, the last one "end".
    public var tagCount: Int
    /// K: cells per image. 1: the input is the pooled feature (B,F); more:
    /// the backbone's head map (B,K,F) (49 for 7×7), whose mean is the pooled
    /// feature, so x = mean_k(P·g_k) + b_p is the pooled projection either way.
    public var cells: Int

    public init(featureSize: Int = 1280, inputSize: Int = 128, hiddenSize: Int = 256, tagCount: Int, cells: Int = 1) {
        self.featureSize = featureSize
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.tagCount = tagCount
        self.cells = cells
    }

    /// Values of one image's input: K·F.
    public var inputValues: Int { cells * featureSize }

    /// Softmax width: every tag plus the end token.
    public var outputSize: Int { tagCount + 1 }
    /// Index of the end token in the softmax.
    public var endToken: Int { tagCount }
}

/// Where the projected image enters the LSTM: at every step (Yan, Wang & Liao)
/// or only at the first (the naive RNN baseline they compare against).
public enum TagImageInput: String, Sendable, Equatable, CaseIterable {
    case everyStep = "every"
    case firstStep = "first"
}

/// What the direct image path S reads: the 1280-d feature (v2; S is
/// (V+1,F), 2.6 MB) or the 128-d projection x (S is (V+1,E), a tenth of that).
public enum TagDirectSource: String, Sendable, Equatable {
    case feature
    case projection
}

/// Every learned tensor of the tag ranker: an image projection, a standard
/// LSTM (gate order i, f, g, o) and a softmax layer over the tags + end.
/// The previous output is never fed back: the image is the only input.
/// With `imageToOutput` the image also reaches every step's softmax directly
/// (logits_t = O·h_t + S·f + b_o): the LSTM then learns the order on top of
/// a linear read-out of what is in the photo instead of learning both
/// through its 4H gates from 6,000 photos.
/// With `attention` (Show, Attend and Tell's soft attention over the K cells)
/// each step also reads a context chosen by what has been said so far:
/// z_k = P·g_k + b_p, e_tk = wᵀ tanh(z_k + D·h_{t−1}), α_t = softmax_k(e_t),
/// ctx_t = Σ_k α_tk z_k, and the gates get W_c·ctx_t beside W·x.
public struct TagParameters: Sendable, Equatable {
    public let shape: TagShape
    public let imageInput: TagImageInput
    public let imageToOutput: Bool
    /// What S reads (only with `imageToOutput`).
    public let directSource: TagDirectSource
    public let attention: Bool
    /// P (E,F), b_p (E): x = P·f + b_p.
    public var projection: [Float]
    public var projectionBias: [Float]
    /// W (4H,E), U (4H,H), b (4H): gate pre-activations W·x + U·h₋₁ + b.
    public var inputWeight: [Float]
    public var hiddenWeight: [Float]
    public var gateBias: [Float]
    /// O (V+1,H), b_o (V+1): logits_t = O·h_t + b_o.
    public var outputWeight: [Float]
    public var outputBias: [Float]
    /// S (V+1,F) or (V+1,E) by `directSource` with `imageToOutput`, else empty.
    public var outputImageWeight: [Float]
    /// With `attention`, else empty: W_c (4H,E), D (E,H), w (E).
    public var contextWeight: [Float]
    public var attentionHidden: [Float]
    public var attentionScore: [Float]

    /// Tensor names in the weight file of every ranker, in the order of `tensors`.
    public static let names = [
        "projection.weight", "projection.bias", "lstm.input_weight", "lstm.hidden_weight", "lstm.bias",
        "output.weight", "output.bias",
    ]
    /// The extra tensor of a ranker with `imageToOutput`, last in `tensors`.
    public static let outputImageWeightName = "output.image_weight"

    /// The attention's tensors, after S in `tensors`.
    public static let attentionNames = ["attention.context_weight", "attention.hidden_weight", "attention.score_weight"]

    /// This ranker's tensor names, in the order of `tensors`.
    public var tensorNames: [String] {
        Self.names + (imageToOutput ? [Self.outputImageWeightName] : []) + (attention ? Self.attentionNames : [])
    }

    /// Width of what S reads: F or E.
    public var directWidth: Int { directSource == .feature ? shape.featureSize : shape.inputSize }

    /// All zeros (the shape of gradients).
    public init(zerosLike shape: TagShape, imageInput: TagImageInput = .everyStep, imageToOutput: Bool = false,
                directSource: TagDirectSource = .feature, attention: Bool = false) {
        self.shape = shape
        self.imageInput = imageInput
        self.imageToOutput = imageToOutput
        self.directSource = directSource
        self.attention = attention
        let (f, e, h, v) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize)
        projection = .init(repeating: 0, count: e * f)
        projectionBias = .init(repeating: 0, count: e)
        inputWeight = .init(repeating: 0, count: 4 * h * e)
        hiddenWeight = .init(repeating: 0, count: 4 * h * h)
        gateBias = .init(repeating: 0, count: 4 * h)
        outputWeight = .init(repeating: 0, count: v * h)
        outputBias = .init(repeating: 0, count: v)
        outputImageWeight = .init(repeating: 0, count: imageToOutput ? v * (directSource == .feature ? f : e) : 0)
        contextWeight = .init(repeating: 0, count: attention ? 4 * h * e : 0)
        attentionHidden = .init(repeating: 0, count: attention ? e * h : 0)
        attentionScore = .init(repeating: 0, count: attention ? e : 0)
    }

    /// Uniform ±√(6/(fan_in+fan_out)) weights; forget-gate bias 1 so the cell
    /// keeps what it has emitted early in training. S starts at zero, so
    /// training starts from the plain ranker. The attention starts uniform
    /// (w = 0: ctx = x) and learns where to look.
    public init(shape: TagShape, imageInput: TagImageInput = .everyStep, imageToOutput: Bool = false,
                directSource: TagDirectSource = .feature, attention: Bool = false, seed: UInt64) {
        self.init(zerosLike: shape, imageInput: imageInput, imageToOutput: imageToOutput, directSource: directSource,
                  attention: attention)
        var random = SplitMix64(seed: seed)
        let (f, e, h, v) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize)
        func fill(_ values: inout [Float], fanIn: Int, fanOut: Int) {
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            for i in values.indices { values[i] = random.uniform(-limit, limit) }
        }
        fill(&projection, fanIn: f, fanOut: e)
        fill(&inputWeight, fanIn: e, fanOut: h)
        fill(&hiddenWeight, fanIn: h, fanOut: h)
        fill(&outputWeight, fanIn: h, fanOut: v)
        for j in h..<(2 * h) { gateBias[j] = 1 }
        // Drawn after the plain ranker's tensors, so those match a ranker without attention.
        if attention {
            fill(&contextWeight, fanIn: e, fanOut: h)
            fill(&attentionHidden, fanIn: h, fanOut: e)
        }
    }

    /// The tensors in `names` order (flat), for optimisers and clipping.
    public var tensors: [[Float]] {
        get {
            [projection, projectionBias, inputWeight, hiddenWeight, gateBias, outputWeight, outputBias]
                + (imageToOutput ? [outputImageWeight] : [])
                + (attention ? [contextWeight, attentionHidden, attentionScore] : [])
        }
        set {
            precondition(newValue.count == tensorNames.count)
            projection = newValue[0]; projectionBias = newValue[1]; inputWeight = newValue[2]
            hiddenWeight = newValue[3]; gateBias = newValue[4]; outputWeight = newValue[5]; outputBias = newValue[6]
            var next = 7
            if imageToOutput { outputImageWeight = newValue[next]; next += 1 }
            if attention { (contextWeight, attentionHidden, attentionScore) = (newValue[next], newValue[next + 1], newValue[next + 2]) }
        }
    }

    /// Each tensor's shape, in `names` order.
    public var tensorShapes: [[Int]] {
        let (f, e, h, v) = (shape.featureSize, shape.inputSize, shape.hiddenSize, shape.outputSize)
        return [[e, f], [e], [4 * h, e], [4 * h, h], [4 * h], [v, h], [v]] + (imageToOutput ? [[v, directWidth]] : [])
            + (attention ? [[4 * h, e], [e, h], [e]] : [])
    }
}

extension TagParameters {
    /// Starts the direct image path S, b_o from per-tag logistic regressions
    /// on the same features (the end token's row stays zero): the step
    /// softmaxes then begin ranking tags as the linear read-out does and the
    /// LSTM learns how the order departs from it.
    public mutating func startDirectPath(from linear: TagLinearClassifier) {
        precondition(imageToOutput && directSource == .feature, "startDirectPath: the ranker has no direct path from the feature")
        precondition(linear.featureSize == shape.featureSize && linear.tagCount == shape.tagCount,
                     "startDirectPath: linear (\(linear.tagCount),\(linear.featureSize)) vs ranker (\(shape.tagCount),\(shape.featureSize))")
        let f = shape.featureSize
        outputImageWeight.replaceSubrange(0..<(shape.tagCount * f), with: linear.weight)
        outputBias.replaceSubrange(0..<shape.tagCount, with: linear.bias)
    }
}
