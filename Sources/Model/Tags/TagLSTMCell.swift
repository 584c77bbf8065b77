#if canImport(Glibc)
import Glibc
#endif

/// The standard LSTM's elementwise step over `rows` sequences, in place.
/// pre (rows,4H): pre-activations [i f g o] in, activated gates out;
/// cellPrevious (rows,H) or nil for zeros; cell, hidden (rows,H) out.
/// i, f, o = σ; g = tanh; c = f⊙c₋₁ + i⊙g; h = o⊙tanh(c).
@inline(__always)
func lstmCellStep(
    _ pre: UnsafeMutablePointer<Float>, cellPrevious: UnsafePointer<Float>?,
    cell: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>,
    rows: Int, hiddenSize h: Int
) {
    for r in 0..<rows {
        let a = pre + r * 4 * h, c = cell + r * h, out = hidden + r * h
        for j in 0..<h {
            let i = 1 / (1 + expf(-a[j]))
            let f = 1 / (1 + expf(-a[h + j]))
            let g = tanhf(a[2 * h + j])
            let o = 1 / (1 + expf(-a[3 * h + j]))
            a[j] = i; a[h + j] = f; a[2 * h + j] = g; a[3 * h + j] = o
            let value = f * (cellPrevious.map { $0[r * h + j] } ?? 0) + i * g
            c[j] = value
            out[j] = o * tanhf(value)
        }
    }
}

/// One step of BPTT through `lstmCellStep`, for `rows` sequences.
/// gates (rows,4H) after activation, cell (rows,H) = c_t, cellPrevious (rows,H) = c_{t−1} or nil;
/// dHidden (rows,H) = ∂L/∂h_t; dCell (rows,H): in ∂L/∂c_{t+1}⊙f_{t+1}, out ∂L/∂c_t⊙f_t;
/// dPre (rows,4H) out: ∂L/∂a_t.
/// dc = dc₊ + dh⊙o⊙(1−tanh²c); da_i = dc⊙g⊙i(1−i); da_f = dc⊙c₋₁⊙f(1−f);
/// da_g = dc⊙i⊙(1−g²); da_o = dh⊙tanh(c)⊙o(1−o).
@inline(__always)
func lstmCellBackward(
    gates: UnsafePointer<Float>, cell: UnsafePointer<Float>, cellPrevious: UnsafePointer<Float>?,
    dHidden: UnsafePointer<Float>, dCell: UnsafeMutablePointer<Float>, dPre: UnsafeMutablePointer<Float>,
    rows: Int, hiddenSize h: Int
) {
    for r in 0..<rows {
        let gate = gates + r * 4 * h, da = dPre + r * 4 * h
        let dh = dHidden + r * h, dc = dCell + r * h
        for j in 0..<h {
            let i = gate[j], f = gate[h + j], g = gate[2 * h + j], o = gate[3 * h + j]
            let tc = tanhf(cell[r * h + j])
            let previous = cellPrevious.map { $0[r * h + j] } ?? 0
            let dcj = dc[j] + dh[j] * o * (1 - tc * tc)
            da[j] = dcj * g * i * (1 - i)
            da[h + j] = dcj * previous * f * (1 - f)
            da[2 * h + j] = dcj * i * (1 - g * g)
            da[3 * h + j] = dh[j] * tc * o * (1 - o)
            dc[j] = dcj * f
        }
    }
}
