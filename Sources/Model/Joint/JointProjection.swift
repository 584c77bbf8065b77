// φ and θ, forward and backward by hand, batched over rows.
// N = batch, D = joint dimension, F = backbone feature width.

/// Activations of one φ or θ forward pass, kept for the backward pass.
public struct ProjectionActivations: Sendable {
    public var output: [Float]  // y (N,D), unit rows
    public var norms: [Float]   // ‖z‖ (N)
    public var input: [Float]   // f (N,F) for φ, s (N,D) for θ
    public let batch: Int
}

extension JointParameters {
    /// φ (N,D) = normalise(b + f Wᵀ + c), given b (N,D) bridge vectors, f (N,F) features.
    public func imageForward(bridge b: [Float], features f: [Float], batch n: Int) -> ProjectionActivations {
        precondition(b.count == n * dimension && f.count == n * featureWidth, "imageForward: shapes")
        var z = b
        f.withUnsafeBufferPointer { pf in
            imageWeight.withUnsafeBufferPointer { pw in
                z.withUnsafeMutableBufferPointer { pz in
                    gemm(pz.baseAddress!, pf.baseAddress!, pw.baseAddress!, m: n, n: dimension, k: featureWidth,
                         transposeB: true, beta: 1)
                }
            }
        }
        return normalizeRows(z, bias: imageBias, input: f, batch: n)
    }

    /// θ (N,D) = normalise(s + s Aᵀ + d), given s (N,D) sentence embeddings.
    public func textForward(sentences s: [Float], batch n: Int) -> ProjectionActivations {
        precondition(s.count == n * dimension, "textForward: shapes")
        var z = s
        s.withUnsafeBufferPointer { ps in
            textWeight.withUnsafeBufferPointer { pa in
                z.withUnsafeMutableBufferPointer { pz in
                    gemm(pz.baseAddress!, ps.baseAddress!, pa.baseAddress!, m: n, n: dimension, k: dimension,
                         transposeB: true, beta: 1)
                }
            }
        }
        return normalizeRows(z, bias: textBias, input: s, batch: n)
    }

    func normalizeRows(_ z: [Float], bias: [Float], input: [Float], batch n: Int) -> ProjectionActivations {
        var z = z
        for r in 0..<n { for j in 0..<dimension { z[r * dimension + j] += bias[j] } }
        var y = [Float](repeating: 0, count: z.count)
        var norms = [Float](repeating: 0, count: n)
        z.withUnsafeBufferPointer { pz in
            y.withUnsafeMutableBufferPointer { py in
                norms.withUnsafeMutableBufferPointer { pn in
                    l2NormalizeRowsForward(py.baseAddress!, pn.baseAddress!, pz.baseAddress!, rows: n, columns: dimension)
                }
            }
        }
        return ProjectionActivations(output: y, norms: norms, input: input, batch: n)
    }

    /// dW (D,F) += dzᵀ f, dc (D) += Σ dz, with dz from dφ (N,D) through the normalisation.
    public func imageBackward(_ grads: inout JointGradients, outputGradient dy: [Float], _ act: ProjectionActivations) {
        let dz = preNormGradient(dy, act)
        accumulate(&grads.imageWeight, &grads.imageBias, dz: dz, input: act.input, batch: act.batch, width: featureWidth)
    }

    /// dA (D,D) += dzᵀ s, dd (D) += Σ dz, with dz from dθ (N,D).
    public func textBackward(_ grads: inout JointGradients, outputGradient dy: [Float], _ act: ProjectionActivations) {
        let dz = preNormGradient(dy, act)
        accumulate(&grads.textWeight, &grads.textBias, dz: dz, input: act.input, batch: act.batch, width: dimension)
    }

    func preNormGradient(_ dy: [Float], _ act: ProjectionActivations) -> [Float] {
        precondition(dy.count == act.output.count, "backward: gradient shape")
        var dz = [Float](repeating: 0, count: dy.count)
        dy.withUnsafeBufferPointer { pdy in
            act.output.withUnsafeBufferPointer { py in
                act.norms.withUnsafeBufferPointer { pn in
                    dz.withUnsafeMutableBufferPointer { pdz in
                        l2NormalizeRowsBackward(pdz.baseAddress!, pdy.baseAddress!, py.baseAddress!, pn.baseAddress!,
                                                rows: act.batch, columns: dimension)
                    }
                }
            }
        }
        return dz
    }

    /// dWeight (D,width) += dzᵀ (D,N) · input (N,width); dBias (D) += column sums of dz.
    private func accumulate(_ dWeight: inout [Float], _ dBias: inout [Float], dz: [Float], input: [Float],
                            batch n: Int, width: Int) {
        dz.withUnsafeBufferPointer { pdz in
            input.withUnsafeBufferPointer { px in
                dWeight.withUnsafeMutableBufferPointer { pw in
                    gemm(pw.baseAddress!, pdz.baseAddress!, px.baseAddress!, m: dimension, n: width, k: n,
                         transposeA: true, beta: 1)
                }
            }
        }
        for r in 0..<n { for j in 0..<dimension { dBias[j] += dz[r * dimension + j] } }
    }
}
