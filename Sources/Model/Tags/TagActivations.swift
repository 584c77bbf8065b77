/// Everything the tag ranker's forward pass computed, kept for BPTT.
/// Layouts are time-major; gates are stored after their nonlinearity.
public struct TagActivations: Sendable {
    public let batchSize: Int
    public let steps: Int
    /// features (B,F): the images, as given.
    public let features: [Float]
    /// x (B,E): the projected images, the input at every step (or the first).
    public internal(set) var inputs: [Float]
    /// gates (T,B,4H): i, f, o after σ and g after tanh.
    public internal(set) var gates: [Float]
    /// c, h (T,B,H).
    public internal(set) var cells: [Float]
    public internal(set) var hiddens: [Float]
    /// logits (T,B,V+1): the softmax inputs of every step.
    public internal(set) var logits: [Float]
}
