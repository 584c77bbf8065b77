// Excitation Backprop (Zhang et al., ECCV 2016): a top-down signal P, the
// "marginal winning probability", is passed from each output unit i to its
// inputs j in proportion to their excitatory contributions:
//
//     P(a_j) = Σ_i P(a_i) · c⁺_ij / Σ_k c⁺_ik,    c_ij = a_j · w_ij
//
// Conventions shared by every rule in this folder:
// - Contributions and signs. Zhang writes a_j · w⁺_ij for non-negative
//   activations. Some units here are signed (GloVe words, the linear residual
//   stream of EfficientNet, projection outputs), so a contribution counts as
//   excitatory when it has the sign of the unit it feeds: (s_i a_j w_ij)⁺ with
//   s_i = sign(y_i) (+1 for y_i ≥ 0). For ReLU-family units (y ≥ 0) and
//   a ≥ 0 this is exactly Zhang's a_j w⁺_ij. A negative unit only receives
//   signal through a negative weight of the layer above, so the inputs that
//   made it negative are the ones that "won".
// - Biases (including BatchNorm folded into conv biases) are *excluded*: they
//   are not inputs and do not compete in the denominator, so an output unit
//   hands its whole probability to its inputs. Hence conservation: the total
//   entering a layer equals the total leaving it.
// - Zero denominators: an output unit none of whose inputs excites it (all
//   c⁺ = 0) cannot pass its share anywhere; that share is dropped. The
//   conservation tests therefore compare totals over units with a non-zero
//   denominator (their inputs are chosen so every unit has one).
// - Activations (ReLU, ReLU6) pass the signal straight through to active
//   units; inactive units already received zero from the layer above since
//   their activation, hence their contribution, is zero.
//
// Tensors are flat row-major Float arrays; shapes are written on each
// function. C = channels, H,W = height,width, O = output units, I = inputs.

/// Namespace for the Excitation Backprop rules and their gradient
/// counterparts (kept as a namespace so names never clash within Model).
public enum Excitation {
    /// Denominators this small count as zero: the unit has no excitatory input.
    public static let zeroDenominator: Float = 1e-20
}
