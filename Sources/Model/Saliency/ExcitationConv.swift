extension Excitation {
    /// A convolution's geometry with TensorFlow "SAME" padding: the output is
    /// ceil(in / stride) and the padding total is split with the extra pixel
    /// at the bottom/right, as the ported EfficientNet weights expect.
    public struct ConvShape: Equatable, Sendable {
        public let inChannels: Int, outChannels: Int, groups: Int
        public let height: Int, width: Int
        public let kernel: Int, stride: Int

        public init(inChannels: Int, outChannels: Int, groups: Int = 1,
                    height: Int, width: Int, kernel: Int, stride: Int) {
            self.inChannels = inChannels; self.outChannels = outChannels; self.groups = groups
            self.height = height; self.width = width; self.kernel = kernel; self.stride = stride
        }

        /// A depthwise convolution over `channels` (one k×k filter each).
        public static func depthwise(channels: Int, height: Int, width: Int,
                                     kernel: Int, stride: Int) -> ConvShape {
            ConvShape(inChannels: channels, outChannels: channels, groups: channels,
                      height: height, width: width, kernel: kernel, stride: stride)
        }

        public var outHeight: Int { (height + stride - 1) / stride }
        public var outWidth: Int { (width + stride - 1) / stride }
        public var padTop: Int { max((outHeight - 1) * stride + kernel - height, 0) / 2 }
        public var padLeft: Int { max((outWidth - 1) * stride + kernel - width, 0) / 2 }
        /// Input channels seen by each filter.
        public var groupChannels: Int { inChannels / groups }
        public var weightCount: Int { outChannels * groupChannels * kernel * kernel }

        func validate(pOut: Int, input: Int, weight: Int) throws {
            guard groups > 0, inChannels % groups == 0, outChannels % groups == 0, kernel > 0, stride > 0 else {
                throw SaliencyError(.shapeMismatch, "conv groups \(groups) must divide channels \(inChannels)→\(outChannels)")
            }
            try SaliencyError.check("conv pOut", pOut, outChannels * outHeight * outWidth)
            try SaliencyError.check("conv input", input, inChannels * height * width)
            try SaliencyError.check("conv weight", weight, weightCount)
        }

        /// Calls body(o, oy, ox, c, iy, ix, weightIndex) for every tap that
        /// lands inside the input (padding taps contribute nothing).
        @inline(__always)
        func forEachTap(_ body: (Int, Int, Int, Int, Int, Int, Int) -> Void) {
            let outPerGroup = outChannels / groups, cg = groupChannels
            for o in 0..<outChannels {
                let firstC = (o / outPerGroup) * cg
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        for ci in 0..<cg {
                            for ky in 0..<kernel {
                                let iy = oy * stride + ky - padTop
                                if iy < 0 || iy >= height { continue }
                                for kx in 0..<kernel {
                                    let ix = ox * stride + kx - padLeft
                                    if ix < 0 || ix >= width { continue }
                                    body(o, oy, ox, firstC + ci, iy, ix, ((o * cg + ci) * kernel + ky) * kernel + kx)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// EB through a (grouped) k×k convolution with stride and TF-SAME padding;
    /// depthwise is groups = C. The bias is excluded (see Excitation.swift).
    /// pOut (O,Ho,Wo), x (C,H,W), w (O,C/groups,k,k), y (O,Ho,Wo) or nil when
    /// every unit is ≥ 0 (only its signs are used) → pIn (C,H,W).
    public static func conv(pOut: [Float], input x: [Float], weight w: [Float],
                            shape s: ConvShape, output y: [Float]? = nil) throws -> [Float] {
        try s.validate(pOut: pOut.count, input: x.count, weight: w.count)
        if let y { try SaliencyError.check("conv output", y.count, pOut.count) }
        if s.kernel == 1 && s.stride == 1 && s.groups == 1 {
            return try pointwise(pOut: pOut, input: x, weight: w, outChannels: s.outChannels,
                                 inChannels: s.inChannels, pixels: s.height * s.width, output: y)
        }
        // sign (O,Ho,Wo): +1 for units ≥ 0; a contribution excites when it has the unit's sign.
        let sign: [Float] = y.map { $0.map { $0 < 0 ? -1 : 1 } } ?? [Float](repeating: 1, count: pOut.count)
        let hw = s.height * s.width, ohw = s.outHeight * s.outWidth
        var z = [Float](repeating: 0, count: pOut.count)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                z.withUnsafeMutableBufferPointer { z in
                    sign.withUnsafeBufferPointer { sign in
                        s.forEachTap { o, oy, ox, c, iy, ix, k in
                            let unit = o * ohw + oy * s.outWidth + ox
                            let contribution = sign[unit] * x[c * hw + iy * s.width + ix] * w[k]
                            if contribution > 0 { z[unit] += contribution }
                        }
                    }
                }
            }
        }
        let ratio = ratios(pOut, z)
        var pIn = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { x in
            w.withUnsafeBufferPointer { w in
                ratio.withUnsafeBufferPointer { r in
                    pIn.withUnsafeMutableBufferPointer { p in
                        sign.withUnsafeBufferPointer { sign in
                            s.forEachTap { o, oy, ox, c, iy, ix, k in
                                let unit = o * ohw + oy * s.outWidth + ox
                                let ri = r[unit]
                                if ri == 0 { return }
                                let xi = c * hw + iy * s.width + ix
                                let contribution = sign[unit] * x[xi] * w[k]
                                if contribution > 0 { p[xi] += ri * contribution }
                            }
                        }
                    }
                }
            }
        }
        return pIn
    }
}
