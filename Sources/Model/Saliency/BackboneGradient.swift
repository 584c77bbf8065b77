// Plain gradients through the same layers, for the gradient×activation
// baseline: linear layers use the transposed weights, ReLU6 passes the
// gradient where 0 < y < 6, a residual passes it to both branches unchanged.

extension Excitation {
    /// dx (C,H,W) = convᵀ(dy (O,Ho,Wo), w (O,C/groups,k,k)).
    public static func convGradient(_ dy: [Float], weight w: [Float], shape s: ConvShape) throws -> [Float] {
        try s.validate(pOut: dy.count, input: s.inChannels * s.height * s.width, weight: w.count)
        let hw = s.height * s.width, ohw = s.outHeight * s.outWidth
        var dx = [Float](repeating: 0, count: s.inChannels * hw)
        if s.kernel == 1 && s.stride == 1 && s.groups == 1 {
            gemm(&dx, w, dy, m: s.inChannels, n: hw, k: s.outChannels, transposeA: true)
            return dx
        }
        dy.withUnsafeBufferPointer { dy in
            w.withUnsafeBufferPointer { w in
                dx.withUnsafeMutableBufferPointer { dx in
                    s.forEachTap { o, oy, ox, c, iy, ix, k in
                        dx[c * hw + iy * s.width + ix] += w[k] * dy[o * ohw + oy * s.outWidth + ox]
                    }
                }
            }
        }
        return dx
    }

    /// dz (N) = dy (N) where the ReLU6 output y (N) is strictly inside (0, 6).
    static func relu6Gradient(_ dy: [Float], output y: [Float]) -> [Float] {
        zip(dy, y).map { $1 > 0 && $1 < 6 ? $0 : 0 }
    }
}
