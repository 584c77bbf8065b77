/// How an explanation is computed.
public enum ExplanationMethod: String, Sendable, CaseIterable {
    /// Excitation Backprop: one backward pass of marginal winning probabilities.
    case eb
    /// Contrastive EB: the EB map minus the map for the negated top weights.
    case cmwp
    /// gradient × activation at the feature map (the baseline).
    case gradient
}

/// Which score is explained.
public enum ExplanationTarget: Sendable {
    /// The LSTM reranker's match score (Feng & Kim); word scores come from EB
    /// through time (for EB and c-MWP).
    case scorer(ScorerParameters, WordVectors)
    /// The joint-space dot product θ·φ; word scores by leaving each word out.
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

/// Why a photo matched: a spatial map on the chosen feature map and a share per query word.
public struct Explanation: Sendable {
    /// Saliency on the feature map grid (covers the whole network input).
    public var map: SaliencyMap
    public var words: [String]
    /// One per word: EB's share (scorer), or the score lost without the word
    /// (joint), normalised to sum to 1 over words where any is positive.
    public var wordScores: [Float]
    /// The scorer's share of the signal reaching the image at t = 0 (EB only).
    public var imageShare: Float?
    /// The explained score: σ(logit) for the scorer, θ·φ for the joint space, the class probability.
    public var score: Float
    public var method: ExplanationMethod
}
