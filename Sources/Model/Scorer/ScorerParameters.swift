import Foundation

/// Sizes of the image–query scorer.
public struct ScorerShape: Sendable, Equatable, Codable {
    /// F: the backbone's pooled feature size (1280 for EfficientNet-Lite0).
    public var featureSize: Int
    /// E: the word-vector dimension; the image is projected to it too.
    public var wordDimension: Int
    /// H: the LSTM's hidden size.
    public var hiddenSize: Int

    public init(featureSize: Int = 1280, wordDimension: Int = 50, hiddenSize: Int = 256) {
        self.featureSize = featureSize
        self.wordDimension = wordDimension
        self.hiddenSize = hiddenSize
    }
}

/// Every learned tensor of the scorer (Feng & Kim): an image projection to the
/// word dimension, a ReLU-LSTM, the output layer and the OOV word vector.
/// GloVe vectors are frozen and not part of it. Gate order is i, f, g, o.
public struct ScorerParameters: Sendable, Equatable {
    public let shape: ScorerShape
    /// P (E, F) and b_p (E): x₀ = P·f + b_p.
    public var projection: [Float]
    public var projectionBias: [Float]
    /// W (4H, E), U (4H, H), b (4H): gate pre-activations W·x + U·h + b.
    public var inputWeight: [Float]
    public var hiddenWeight: [Float]
    public var gateBias: [Float]
    /// w (H), b (1): logit = w·h_n + b.
    public var outputWeight: [Float]
    public var outputBias: [Float]
    /// The vector every out-of-vocabulary word reads as (E).
    public var oovVector: [Float]

    /// Tensor names in the weight file, in the order of `tensors`.
    public static let names = [
        "projection.weight", "projection.bias", "lstm.input_weight", "lstm.hidden_weight",
        "lstm.bias", "output.weight", "output.bias", "oov",
    ]

    /// All zeros (the shape of gradients).
    public init(zerosLike shape: ScorerShape) {
        self.shape = shape
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        projection = .init(repeating: 0, count: e * f)
        projectionBias = .init(repeating: 0, count: e)
        inputWeight = .init(repeating: 0, count: 4 * h * e)
        hiddenWeight = .init(repeating: 0, count: 4 * h * h)
        gateBias = .init(repeating: 0, count: 4 * h)
        outputWeight = .init(repeating: 0, count: h)
        outputBias = [0]
        oovVector = .init(repeating: 0, count: e)
    }

    /// Uniform ±√(6/(fan_in+fan_out)) weights; forget-gate bias 1 so the cell
    /// remembers early in training; a small random OOV vector.
    public init(shape: ScorerShape, seed: UInt64) {
        self.init(zerosLike: shape)
        var random = SplitMix64(seed: seed)
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        func fill(_ values: inout [Float], fanIn: Int, fanOut: Int) {
            let limit = (6 / Float(fanIn + fanOut)).squareRoot()
            for i in values.indices { values[i] = random.uniform(-limit, limit) }
        }
        fill(&projection, fanIn: f, fanOut: e)
        fill(&inputWeight, fanIn: e, fanOut: h)
        fill(&hiddenWeight, fanIn: h, fanOut: h)
        fill(&outputWeight, fanIn: h, fanOut: 1)
        for j in h..<(2 * h) { gateBias[j] = 1 }
        for i in oovVector.indices { oovVector[i] = random.uniform(-0.1, 0.1) }
    }

    /// The tensors in `names` order (flat), for optimisers and clipping.
    public var tensors: [[Float]] {
        get { [projection, projectionBias, inputWeight, hiddenWeight, gateBias, outputWeight, outputBias, oovVector] }
        set {
            precondition(newValue.count == Self.names.count)
            projection = newValue[0]; projectionBias = newValue[1]; inputWeight = newValue[2]
            hiddenWeight = newValue[3]; gateBias = newValue[4]; outputWeight = newValue[5]
            outputBias = newValue[6]; oovVector = newValue[7]
        }
    }

    /// Each tensor's shape, in `names` order.
    public var tensorShapes: [[Int]] {
        let (f, e, h) = (shape.featureSize, shape.wordDimension, shape.hiddenSize)
        return [[e, f], [e], [4 * h, e], [4 * h, h], [4 * h], [h], [1], [e]]
    }
}
