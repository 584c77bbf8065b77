#if canImport(Glibc)
import Glibc
#endif

/// Everything the forward pass computed, kept for BPTT and for Excitation
/// Backprop (which redistributes the score through these same activations).
/// Layouts are time-major; gates are stored after their nonlinearity.
public struct ScorerActivations: Sendable {
    public let batchSize: Int
    public let steps: Int
    public let wordDimension: Int
    public let hiddenSize: Int
    /// x (T, B, E): step 0 the projected image, then words (OOV → learned vector).
    public internal(set) var inputs: [Float]
    /// gates (T, B, 4H): i, f, o after σ and g after ReLU.
    public internal(set) var gates: [Float]
    /// c (T, B, H).
    public internal(set) var cells: [Float]
    /// h (T, B, H): h = o ⊙ ReLU(c).
    public internal(set) var hiddens: [Float]
    /// lastStep (B): the step whose hidden state is scored.
    public let lastStep: [Int]
    /// logits (B); the similarity is σ(logit).
    public internal(set) var logits: [Float]

    public var scores: [Float] { logits.map(sigmoid) }

    /// h_n (H) of sequence b: the state the output layer reads.
    public func finalHidden(_ b: Int) -> ArraySlice<Float> {
        let start = (lastStep[b] * batchSize + b) * hiddenSize
        return hiddens[start..<(start + hiddenSize)]
    }
}

@inline(__always)
public func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
