import CConvKernels

// Depthwise convolution: one k×k filter per channel, as a direct loop.
//
// Each input plane is first copied into a zero-padded scratch plane, split
// into `stride` column phases (phase p holds padded columns p, p+s, p+2s, ...).
// Input column s·ox + kx is then element ox + kx/s of phase kx % s, so every
// tap reads contiguous memory and the inner loop is a plain vector
// multiply-add with no bounds checks. For stride 1 the whole plane is computed
// as one long run over the padded row pitch (the k−1 extra columns per row are
// computed and dropped), so narrow 7- and 14-wide planes still fill vectors.
// The multiply-add run itself is `cconv_depthwise_run` (C, built for AVX-512,
// AVX2 and baseline and chosen at load time); `depthwiseRun` below is the
// same loop in portable Swift SIMD, kept as the tested fallback.

/// The scratch floats `depthwiseConv` needs: the padded plane plus, for
/// stride 1, one output plane at the padded row pitch.
public func depthwiseScratchCount(height: Int, width: Int, kernel: Int, stride: Int) -> Int {
    let geometry = DepthwiseGeometry(height: height, width: width, kernel: kernel, stride: stride)
    return geometry.paddedCount + geometry.wideCount
}

/// out (C·N, OH, OW) ← act(depthwise(x (C·N, H, W), w (C,k,k)) + bias (C)),
/// SAME padding. Planes are channel-major: plane c·N + n is channel c of
/// image n. `scratch` holds `depthwiseScratchCount(...)` floats.
///
/// With `inputBias` (C), x is first replaced by relu6(x + inputBias) as it is
/// copied into the padded plane: the preceding 1×1 conv's epilogue, fused so
/// its large output is not swept once more.
public func depthwiseConv(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    channels: Int, batch: Int, height: Int, width: Int, kernel: Int, stride: Int,
    activation: Activation, scratch: UnsafeMutablePointer<Float>,
    inputBias: UnsafePointer<Float>? = nil
) {
    let g = DepthwiseGeometry(height: height, width: width, kernel: kernel, stride: stride)
    let padded = scratch, wide = scratch + g.paddedCount
    padded.update(repeating: 0, count: g.paddedCount)
    let taps = kernel * kernel
    withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { offsets in
        // Offset of tap (ky,kx) from an output's window origin: no division in the loop.
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                offsets[ky * kernel + kx] = ky * g.rowLength + (kx % stride) * g.phaseW + kx / stride
            }
        }
        let tapOffsets = UnsafePointer(offsets.baseAddress!)
        for c in 0..<channels {
            let w = weight + c * taps
            for n in 0..<batch {
                let plane = c * batch + n
                let dst = out + plane * g.outH * g.outW
                padPlane(padded, x + plane * height * width, g, bias: inputBias.map { $0[c] })
                if stride == 1 {
                    // One run over OH rows at the padded pitch, then keep OW of each row.
                    let count = (g.outH - 1) * g.rowLength + g.outW
                    runTaps(wide, padded, count: count, weight: w, offsets: tapOffsets, taps: taps, bias: bias[c])
                    for oy in 0..<g.outH {
                        let row = dst + oy * g.outW, source = wide + oy * g.rowLength
                        if activation == .relu6 {
                            biasReLU6(row, source, count: g.outW, bias: 0)
                        } else {
                            row.update(from: source, count: g.outW)
                        }
                    }
                } else {
                    for oy in 0..<g.outH {
                        let row = dst + oy * g.outW
                        runTaps(row, padded + oy * stride * g.rowLength, count: g.outW,
                                weight: w, offsets: tapOffsets, taps: taps, bias: bias[c])
                        if activation == .relu6 { relu6(row, count: g.outW) }
                    }
                }
            }
        }
    }
}

/// Sizes of one depthwise layer's planes.
struct DepthwiseGeometry {
    let outH: Int, outW: Int
    let top: Int, left: Int
    let stride: Int
    let width: Int, height: Int
    /// Columns per phase, and floats per padded row (stride · phaseW).
    let phaseW: Int, rowLength: Int
    let paddedCount: Int
    let wideCount: Int

    init(height: Int, width: Int, kernel: Int, stride: Int) {
        let padY = SamePadding(size: height, kernel: kernel, stride: stride)
        let padX = SamePadding(size: width, kernel: kernel, stride: stride)
        outH = padY.output
        outW = padX.output
        top = padY.before
        left = padX.before
        self.stride = stride
        self.width = width
        self.height = height
        let paddedW = width + padX.before + padX.after
        phaseW = (paddedW + stride - 1) / stride
        rowLength = phaseW * stride
        paddedCount = (height + padY.before + padY.after) * rowLength
        wideCount = stride == 1 ? outH * rowLength : 0
    }
}

/// padded ((H+pads), stride·phaseW) ← x (H,W) placed at (top, left), split
/// into column phases; with `bias`, relu6(x + bias) instead. Padding cells are
/// never written, so they keep the zeros filled in once per layer.
@inline(__always)
private func padPlane(_ padded: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ g: DepthwiseGeometry,
                      bias: Float?) {
    for y in 0..<g.height {
        let src = x + y * g.width
        let dst = padded + (y + g.top) * g.rowLength
        if g.stride == 1 {
            if let bias {
                biasReLU6(dst + g.left, src, count: g.width, bias: bias)
            } else {
                (dst + g.left).update(from: src, count: g.width)
            }
            continue
        }
        if g.stride == 2 {
            // Even input columns land in phase left % 2 from column left / 2,
            // odd ones in the other phase from (left + 1) / 2.
            let first = dst + (g.left % 2) * g.phaseW + g.left / 2
            let second = dst + (1 - g.left % 2) * g.phaseW + (g.left + 1) / 2
            cconv_deinterleave2(first, second, src, g.width)
            if let bias {
                biasReLU6(first, first, count: (g.width + 1) / 2, bias: bias)
                biasReLU6(second, second, count: g.width / 2, bias: bias)
            }
            continue
        }
        // Phase p holds padded columns p, p+s, …; padded column px is input column px − left.
        for phase in 0..<g.stride {
            let out = dst + phase * g.phaseW
            var j = 0
            var xi = phase - g.left
            while xi < 0 { j += 1; xi += g.stride }
            if let bias {
                while xi < g.width {
                    out[j] = min(max(src[xi] + bias, 0), 6)
                    j += 1
                    xi += g.stride
                }
            } else {
                while xi < g.width {
                    out[j] = src[xi]
                    j += 1
                    xi += g.stride
                }
            }
        }
    }
}

/// Which implementation runs the depthwise multiply-add loops.
public enum DepthwiseKernel: Sendable {
    /// The C kernel, compiled for the widest vectors the CPU has.
    case native
    /// Portable Swift SIMD (8 lanes).
    case swift

    /// Tests switch it to check both against the naive loop.
    nonisolated(unsafe) public static var selected = DepthwiseKernel.native

    /// "avx512f", "avx2" or "baseline": what `.native` runs with here.
    public static var nativeInstructionSet: String { String(cString: cconv_instruction_set()) }
}

@inline(__always)
private func runTaps(
    _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int,
    weight: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, bias: Float
) {
    switch DepthwiseKernel.selected {
    case .native: cconv_depthwise_run(dst, src, count, weight, offsets, Int32(taps), bias)
    case .swift: depthwiseRun(dst, src, count: count, weight: weight, offsets: offsets, taps: taps, bias: bias)
    }
}

/// dst[i] ← bias + Σ_t w[t] · src[i + offsets[t]] for i in 0..<count.
/// 32 outputs per step in four independent accumulators (hides FMA latency,
/// shares each weight broadcast), then 8 at a time, then scalars.
@inline(__always)
private func depthwiseRun(
    _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int,
    weight: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, bias: Float
) {
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self) }
    var i = 0
    while i + 32 <= count {
        var a0 = V(repeating: bias), a1 = a0, a2 = a0, a3 = a0
        let base = src + i
        for t in 0..<taps {
            let w = V(repeating: weight[t])
            let p = base + offsets[t]
            a0 += w * load(p)
            a1 += w * load(p + 8)
            a2 += w * load(p + 16)
            a3 += w * load(p + 24)
        }
        store(a0, dst + i)
        store(a1, dst + i + 8)
        store(a2, dst + i + 16)
        store(a3, dst + i + 24)
        i += 32
    }
    while i + 8 <= count {
        var a = V(repeating: bias)
        for t in 0..<taps { a += V(repeating: weight[t]) * load(src + i + offsets[t]) }
        store(a, dst + i)
        i += 8
    }
    while i < count {
        var a = bias
        for t in 0..<taps { a += weight[t] * src[i + offsets[t]] }
        dst[i] = a
        i += 1
    }
}

/// x (count) ← min(max(x, 0), 6).
@inline(__always)
func relu6(_ x: UnsafeMutablePointer<Float>, count: Int) {
    biasReLU6(x, x, count: count, bias: 0)
}

/// dst (count) ← min(max(src + bias, 0), 6); dst may be src. Clamping through
/// the sign bit keeps the loop in vector ops (the generic SIMD min/max are
/// calls in the standard library).
@inline(__always)
func biasReLU6(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int, bias: Float) {
    typealias V = SIMD8<Float>
    typealias I = SIMD8<Int32>
    let six = V(repeating: 6), b = V(repeating: bias)
    @inline(__always) func relu(_ v: V) -> V {
        let bits = unsafeBitCast(v, to: I.self)
        return unsafeBitCast(bits & ~(bits &>> 31), to: V.self)  // negative → +0
    }
    var i = 0
    while i + 8 <= count {
        let r = relu(UnsafeRawPointer(src + i).loadUnaligned(as: V.self) + b)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: r - relu(r - six), as: V.self)  // r − max(r − 6, 0) = min(r, 6)
        i += 8
    }
    while i < count {
        dst[i] = min(max(src[i] + bias, 0), 6)
        i += 1
    }
}
