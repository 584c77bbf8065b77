#if canImport(Glibc)
import Glibc
#endif

/// The ReLU-LSTM's elementwise step over `rows` sequences, in place.
/// pre (rows, 4H): pre-activations [i f g o] in, activated gates out;
/// cellPrevious (rows, H) or nil for zeros; cell, hidden (rows, H) out.
/// i, f, o = σ; g = ReLU; c = f⊙c₋₁ + i⊙g; h = o⊙ReLU(c).
@inline(__always)
func reluLSTMCellStep(
    _ pre: UnsafeMutablePointer<Float>, cellPrevious: UnsafePointer<Float>?,
    cell: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
    rows: Int, hiddenSize h: Int
) {
    for r in 0..<rows {
        let a = pre + r * 4 * h
        let c = cell + r * h
        let out = hidden + r * h
        for j in 0..<h {
            let i = 1 / (1 + expf(-a[j]))
            let f = 1 / (1 + expf(-a[h + j]))
            let g = max(a[2 * h + j], 0)
            let o = 1 / (1 + expf(-a[3 * h + j]))
            a[j] = i; a[h + j] = f; a[2 * h + j] = g; a[3 * h + j] = o
            let previous = cellPrevious.map { $0[r * h + j] } ?? 0
            let value = f * previous + i * g
            c[j] = value
            out[j] = o * max(value, 0)
        }
    }
}
