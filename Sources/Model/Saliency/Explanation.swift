/// How an explanation is computed.
public enum ExplanationMethod: String, Sendable, CaseIterable {
    /// Excitation Backprop: one backward pass of marginal winning probabilities.
    /// In the joint space it starts from the query's evidence per cell
    /// (CellExcitation.swift) and goes down to the 14×14 block.
    case eb
    /// Contrastive EB: the EB map minus the map of a competing signal (the
    /// negated top weights, or in the joint space the mean of the class phrases).
    case cmwp
    /// gradient × activation at the feature map (the baseline).
    case gradient
    /// Grad-CAM on the last convolutional map, for the joint similarity (joint space only).
    case gradcam
    /// The query's score on each cell of the photo, from the 2×2 tiles'
    /// 14×14 cells when the caller ran them (joint space only; CellSimilarity.swift).
    case cells
    /// Always the photo's centre: the pointing game's baseline.
    case centre

    /// What `photoq --explain` and `photoq-model explain` use: the winner of
    /// the pointing game (README, "Explanations: the pointing game").
    public static let defaultMethod: ExplanationMethod = .cells

    /// The default when the target allows it, else Excitation Backprop.
    public static func defaultMethod(for explainer: Explainer) -> ExplanationMethod {
        explainer.supports(defaultMethod) ? defaultMethod : .eb
    }

    /// A raw value, or one of the other names accepted on the command line.
    public init?(name argument: String) {
        switch argument {
        case "center": self = .centre
        case "c-eb", "contrastive": self = .cmwp
        case "grad-cam": self = .gradcam
        default: self.init(rawValue: argument)
        }
    }

    /// What the picture shows, in plain words.
    public var plainDescription: String {
        switch self {
        case .eb, .cells: return "where the photo looks most like the words"
        case .cmwp: return "where the photo looks like the words more than like other things"
        case .gradient, .gradcam: return "where a change in the photo would change the match the most"
        case .centre: return "the centre of the photo (a reference, not an explanation)"
        }
    }

    /// The methods that walk down the backbone's recorded layers (the
    /// forward pass must keep its activations for them).
    public var walksTheBackbone: Bool { self == .eb || self == .cmwp || self == .gradient }

    /// The methods that need the joint space (the query's and each cell's embeddings).
    public var needsJointSpace: Bool { self == .gradcam || self == .cells }
}

/// Which score is explained.
public enum ExplanationTarget: Sendable {
    /// The LSTM reranker's match score (Feng & Kim); word scores come from EB
    /// through time (for EB and c-MWP).
    case scorer(ScorerParameters, WordVectors)
    /// The joint-space similarity θ·φ: maps from the query's match with each
    /// cell of the photo, a map and a score per content word.
    case joint(JointModel, SentenceEncoder)
    /// An ImageNet class logit (nil: the top class); no words.
    case imagenetClass(Int?)
    /// The query read as ImageNet classes, as Zhang et al.'s pointing game
    /// names the object: the signal starts on the classes whose text
    /// embeddings (the bridge's C) best match the query's sentence embedding,
    /// spread by softmax(similarity / temperature) over the best `classes`,
    /// whatever the photo's own prediction. The query is read through
    /// `prompt` ("{}" stands for it), e.g. "a photo of a {}", as the class
    /// embeddings were built from caption-like phrases. Word scores by leaving
    /// each word out.
    case queryClasses(ZeroShotBridge, SentenceEncoder, prompt: String = "{}", classes: Int = 5, temperature: Float = 0.05)
}

/// One query word's part in an explanation (joint space).
public struct WordExplanation: Sendable {
    public var word: String
    /// The word's share of the combined map (see WordMaps.swift); sums to 1 over words.
    public var score: Float
    /// Where the photo looks like this word, on the cell grid; sums to 1.
    public var map: SaliencyMap
}

/// Why a photo matched: a spatial map on the chosen feature map and a share per query word.
public struct Explanation: Sendable {
    /// Saliency on the feature map grid (covers the whole network input).
    public var map: SaliencyMap
    public var words: [String]
    /// One per word: EB's share (scorer), or the word's share of the combined
    /// map (joint), normalised to sum to 1 over words where any is positive.
    public var wordScores: [Float]
    /// The scorer's share of the signal reaching the image at t = 0 (EB only).
    public var imageShare: Float?
    /// The explained score: σ(logit) for the scorer, θ·φ for the joint space, the class probability.
    public var score: Float
    public var method: ExplanationMethod
    /// Per content word, in query order (joint space; empty otherwise).
    public var perWord: [WordExplanation] = []

    public init(map: SaliencyMap, words: [String], wordScores: [Float], imageShare: Float?, score: Float,
                method: ExplanationMethod, perWord: [WordExplanation] = []) {
        self.map = map
        self.words = words
        self.wordScores = wordScores
        self.imageShare = imageShare
        self.score = score
        self.method = method
        self.perWord = perWord
    }

    /// The part of a word of the query (nil when it is not one of its content words).
    public func word(_ name: String) -> WordExplanation? {
        perWord.first { $0.word == name.lowercased() }
    }
}
