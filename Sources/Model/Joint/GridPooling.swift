import Foundation

// Generalised pooling of grid cells (VSE∞'s GPO with the weights learned
// directly instead of generated): per output dimension the K cell values are
// sorted in decreasing order and mixed with weights w = softmax(θ) over the
// sort positions. θ = 0 is mean pooling, one large θ₀ is max pooling, so the
// pooling learns where between the two each model should sit.
// N = photos, K = cells, D = dimension.

/// What the backward pass of `sortedWeightedPool` needs.
public struct SortedPoolActivations: Sendable {
    /// For photo n, dimension j, sort position k: the cell holding the k-th
    /// largest value, at [(n·D + j)·K + k].
    public var order: [Int32]
    public var weights: [Float]  // w = softmax(θ) (K)
    public let batch: Int, cells: Int, dimension: Int
}

/// softmax(θ) (K), the pooling weights over sort positions.
public func sortedPoolWeights(_ logits: [Float]) -> [Float] {
    let top = logits.max() ?? 0
    let e = logits.map { exp($0 - top) }
    let sum = e.reduce(0, +)
    return e.map { $0 / sum }
}

/// out (N,D) = Σ_k w_k · sort↓(x[n,·,j])_k with x (N·K, D) cell rows
/// (photo-major) and w = softmax(θ) (K).
public func sortedWeightedPool(_ x: [Float], logits: [Float], batch n: Int, dimension d: Int)
    -> (output: [Float], activations: SortedPoolActivations) {
    let k = logits.count
    precondition(x.count == n * k * d, "sortedWeightedPool: shapes")
    let w = sortedPoolWeights(logits)
    var out = [Float](repeating: 0, count: n * d)
    var order = [Int32](repeating: 0, count: n * d * k)
    var column = [Float](repeating: 0, count: k)
    var index = [Int32](repeating: 0, count: k)
    x.withUnsafeBufferPointer { px in
        for photo in 0..<n {
            let cells = px.baseAddress! + photo * k * d
            for j in 0..<d {
                for c in 0..<k { column[c] = cells[c * d + j]; index[c] = Int32(c) }
                sortDescending(&column, &index)
                var sum: Float = 0
                for c in 0..<k { sum += w[c] * column[c] }
                out[photo * d + j] = sum
                let base = (photo * d + j) * k
                for c in 0..<k { order[base + c] = index[c] }
            }
        }
    }
    return (out, SortedPoolActivations(order: order, weights: w, batch: n, cells: k, dimension: d))
}

/// Given dout (N,D): dx (N·K, D) (overwritten) and dθ (K) (accumulated),
/// with x the pooled input (for the sorted values dθ needs).
public func sortedWeightedPoolBackward(_ dout: [Float], x: [Float], _ act: SortedPoolActivations,
                                       dInput dx: inout [Float], dLogits: inout [Float]) {
    let (n, k, d) = (act.batch, act.cells, act.dimension)
    precondition(dout.count == n * d && x.count == n * k * d && dLogits.count == k, "sortedWeightedPoolBackward: shapes")
    if dx.count != x.count { dx = [Float](repeating: 0, count: x.count) }
    // dL/dw_k = Σ_{n,j} dout[n,j] · (k-th largest of x[n,·,j]).
    var dw = [Double](repeating: 0, count: k)
    for photo in 0..<n {
        for j in 0..<d {
            let g = dout[photo * d + j], base = (photo * d + j) * k
            for c in 0..<k {
                let cell = Int(act.order[base + c])
                dx[(photo * k + cell) * d + j] = act.weights[c] * g
                dw[c] += Double(g * x[(photo * k + cell) * d + j])
            }
        }
    }
    // Through the softmax: dθ_i = w_i (dw_i − Σ_k w_k dw_k).
    let mean = zip(act.weights, dw).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    for i in 0..<k { dLogits[i] += act.weights[i] * Float(dw[i] - mean) }
}

/// Insertion sort of `values` (decreasing), carrying `index` along; stable,
/// so ties keep cell order. K is small (49), where this beats a general sort.
@inline(__always)
private func sortDescending(_ values: inout [Float], _ index: inout [Int32]) {
    values.withUnsafeMutableBufferPointer { v in
        index.withUnsafeMutableBufferPointer { ix in
            for i in 1..<max(v.count, 1) {
                let value = v[i], id = ix[i]
                var j = i - 1
                while j >= 0 && v[j] < value {
                    v[j + 1] = v[j]; ix[j + 1] = ix[j]
                    j -= 1
                }
                v[j + 1] = value; ix[j + 1] = id
            }
        }
    }
}
