// What follows every convolution's GEMM: bias, optional residual, optional
// ReLU6, in one pass over the output.

public enum Activation: Sendable, Equatable {
    case none
    case relu6
}

/// out (O, ldOut) ← act(out + bias (O) [+ residual (O, ldOut)]), over the
/// first `positions` columns of each row.
public func biasActivation(
    _ out: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
    channels: Int, positions: Int, ldOut: Int,
    activation: Activation, residual: UnsafePointer<Float>? = nil
) {
    for o in 0..<channels {
        let row = out + o * ldOut
        let b = bias[o]
        if let residual {
            let res = residual + o * ldOut
            for p in 0..<positions { row[p] = row[p] + b + res[p] }
            if activation == .relu6 { relu6(row, count: positions) }
        } else if activation == .relu6 {
            biasReLU6(row, row, count: positions, bias: b)
        } else {
            for p in 0..<positions { row[p] += b }
        }
    }
}
