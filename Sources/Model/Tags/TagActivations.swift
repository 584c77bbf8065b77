/// Everything the tag ranker's forward pass computed, kept for BPTT.
/// Layouts are time-major; gates are stored after their nonlinearity.
/// K = shape.cells (1 for a pooled-feature ranker).
public struct TagActivations: Sendable {
    public let batchSize: Int
    public let steps: Int
    /// images (B,K,F): the inputs, as given.
    public let features: [Float]
    /// f̄ (B,F): the pooled feature S reads (the input itself when K = 1,
    /// else the mean over cells; empty when S reads the projection or is absent).
    public internal(set) var pooled: [Float]
    /// z (B,K,E): every cell projected, z_k = P·g_k + b_p.
    public internal(set) var projected: [Float]
    /// x (B,E): the pooled projection mean_k z_k, the input at every step (or the first).
    public internal(set) var inputs: [Float]
    /// With attention: u (T,B,K,E) = tanh(z_k + D·h_{t−1}), α (T,B,K), ctx (T,B,E).
    public internal(set) var attentionCells: [Float] = []
    public internal(set) var attentionWeights: [Float] = []
    public internal(set) var contexts: [Float] = []
    /// gates (T,B,4H): i, f, o after σ and g after tanh.
    public internal(set) var gates: [Float]
    /// c, h (T,B,H).
    public internal(set) var cells: [Float]
    public internal(set) var hiddens: [Float]
    /// logits (T,B,V+1): the softmax inputs of every step.
    public internal(set) var logits: [Float]
}
