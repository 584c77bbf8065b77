// Depthwise convolution: one k×k filter per channel, as a direct loop.
//
// Each input plane is first copied into a zero-padded scratch plane split into
// stride × stride phase sub-planes: sub-plane (py % s, px % s) holds padded
// rows py ≡ py % s and columns px ≡ px % s, at (py / s, px / s). Input
// position (s·oy + ky, s·ox + kx) is then element (oy + ky/s, ox + kx/s) of
// sub-plane (ky % s, kx % s), so every tap of every output reads contiguous
// memory at a fixed offset, for stride 1 and 2 alike. Narrow planes (7 to 28
// wide) are computed as one long run at the sub-plane pitch, the few columns
// past OW in each row computed and dropped, so they still fill vectors; wide
// planes run row by row straight into the output.
// The multiply-add run is `depthwiseRun`, Swift SIMD over raw pointers, with
// the bias and ReLU6 applied in registers before the store.

/// The scratch floats `depthwiseConv` needs: the padded phase planes plus
/// one output plane at the sub-plane pitch, each with a vector of slack.
public func depthwiseScratchCount(height: Int, width: Int, kernel: Int, stride: Int) -> Int {
    let geometry = DepthwiseGeometry(height: height, width: width, kernel: kernel, stride: stride)
    return geometry.paddedCount + DepthwiseGeometry.slack + geometry.wideCount
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
    let padded = scratch, wide = scratch + g.paddedCount + DepthwiseGeometry.slack
    padded.update(repeating: 0, count: g.paddedCount + DepthwiseGeometry.slack)
    let taps = kernel * kernel
    withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { offsets in
        // Offset of tap (ky,kx) from an output's position in its sub-plane: no division in the loop.
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                offsets[ky * kernel + kx] = ((ky % stride) * stride + kx % stride) * g.subPlaneCount
                    + (ky / stride) * g.phaseW + kx / stride
            }
        }
        let tapOffsets = UnsafePointer(offsets.baseAddress!)
        for c in 0..<channels {
            let w = weight + c * taps
            for n in 0..<batch {
                let plane = c * batch + n
                let dst = out + plane * g.outH * g.outW
                padPlane(padded, x + plane * height * width, g, bias: inputBias.map { $0[c] })
                if g.outW < 32 {
                    // Narrow planes: one run over OH rows at the sub-plane pitch, then keep OW of each row.
                    // Rounded up to whole vectors: no scalar tail; the extra outputs
                    // read the zero slack after the planes and are dropped.
                    let count = ((g.outH - 1) * g.phaseW + g.outW + 7) / 8 * 8
                    runTaps(wide, padded, count: count, weight: w, offsets: tapOffsets, taps: taps, bias: bias[c],
                            activation: activation)
                    keepColumns(dst, wide, rows: g.outH, columns: g.outW, pitch: g.phaseW)
                } else {
                    for oy in 0..<g.outH {
                        runTaps(dst + oy * g.outW, padded + oy * g.phaseW, count: g.outW,
                                weight: w, offsets: tapOffsets, taps: taps, bias: bias[c], activation: activation)
                    }
                }
            }
        }
    }
}

/// dst (rows, columns) ← src (rows, pitch)[:, 0..<columns], for narrow
/// planes. Whole 8-float vectors per row, the few past `columns` landing in
/// the next row before it is written; only rows too near the plane's end for
/// that go float by float. (Row copies through memcpy cost a call each: seven
/// per 7×7 plane.) src holds 8 floats past its last row's columns.
@inline(__always)
private func keepColumns(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>,
                         rows: Int, columns: Int, pitch: Int) {
    typealias V = SIMD8<Float>
    let vectorWidth = (columns + 7) / 8 * 8
    for row in 0..<rows {
        let to = dst + row * columns, from = src + row * pitch
        if row * columns + vectorWidth <= rows * columns {
            var i = 0
            while i < columns {
                UnsafeMutableRawPointer(to + i).storeBytes(of: UnsafeRawPointer(from + i).loadUnaligned(as: V.self),
                                                           as: V.self)
                i += 8
            }
        } else {
            for i in 0..<columns { to[i] = from[i] }
        }
    }
}

/// Sizes of one depthwise layer's planes.
struct DepthwiseGeometry {
    let outH: Int, outW: Int
    let top: Int, left: Int
    let stride: Int
    let width: Int, height: Int
    /// Rows and columns of each phase sub-plane, and its floats.
    let phaseH: Int, phaseW: Int, subPlaneCount: Int
    let paddedCount: Int
    let wideCount: Int
    /// Floats after the padded planes and after the wide plane, so that a
    /// narrow run rounded up to whole 8-float vectors stays inside scratch.
    static let slack = 8

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
        phaseH = (height + padY.before + padY.after + stride - 1) / stride
        phaseW = (width + padX.before + padX.after + stride - 1) / stride
        subPlaneCount = phaseH * phaseW
        paddedCount = stride * stride * subPlaneCount
        wideCount = outH * phaseW + Self.slack
    }
}

/// padded (s·s sub-planes of (phaseH, phaseW)) ← x (H,W) placed at (top,
/// left) and split into phases; with `bias`, relu6(x + bias) instead. Padding
/// cells are never written, so they keep the zeros filled in once per layer.
@inline(__always)
private func padPlane(_ padded: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ g: DepthwiseGeometry,
                      bias: Float?) {
    let s = g.stride
    for y in 0..<g.height {
        let src = x + y * g.width
        let py = y + g.top
        // Row py of padded column phase p lives in sub-plane (py % s, p), row py / s.
        let rowBase = padded + (py % s) * s * g.subPlaneCount + (py / s) * g.phaseW
        if s == 1 {
            if let bias {
                biasReLU6(rowBase + g.left, src, count: g.width, bias: bias)
            } else {
                (rowBase + g.left).update(from: src, count: g.width)
            }
            continue
        }
        if s == 2 {
            // Even input columns land in phase left % 2 from column left / 2,
            // odd ones in the other phase from (left + 1) / 2.
            let first = rowBase + (g.left % 2) * g.subPlaneCount + g.left / 2
            let second = rowBase + (1 - g.left % 2) * g.subPlaneCount + (g.left + 1) / 2
            if let bias {
                deinterleave2(first, second, src, count: g.width, bias: bias, clamp: true)
            } else {
                deinterleave2(first, second, src, count: g.width, bias: 0, clamp: false)
            }
            continue
        }
        for xi in 0..<g.width {
            let px = xi + g.left
            let value = src[xi]
            rowBase[(px % s) * g.subPlaneCount + px / s] = bias.map { min(max(value + $0, 0), 6) } ?? value
        }
    }
}

/// dst (count) ← act(bias + Σ_t w[t] · src[i + offsets[t]]).
@inline(__always)
private func runTaps(
    _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int,
    weight: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, bias: Float, activation: Activation
) {
    if activation == .relu6 {
        depthwiseRun(dst, src, count: count, weight: weight, offsets: offsets, taps: taps, bias: bias, clamp: true)
    } else {
        depthwiseRun(dst, src, count: count, weight: weight, offsets: offsets, taps: taps, bias: bias, clamp: false)
    }
}

/// even (⌈count/2⌉) ← src[0, 2, 4, …], odd (⌊count/2⌋) ← src[1, 3, 5, …];
/// with `clamp`, relu6(value + bias) instead (a constant at each call site).
@inline(__always)
private func deinterleave2(_ even: UnsafeMutablePointer<Float>, _ odd: UnsafeMutablePointer<Float>,
                           _ src: UnsafePointer<Float>, count: Int, bias: Float, clamp: Bool) {
    let b = SIMD8<Float>(repeating: bias)
    @inline(__always) func activate(_ v: SIMD8<Float>) -> SIMD8<Float> { clamp ? clampReLU6(v + b) : v }
    var i = 0
    while 2 * i + 16 <= count {
        let pair = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(even + i).storeBytes(of: activate(pair.evenHalf), as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(odd + i).storeBytes(of: activate(pair.oddHalf), as: SIMD8<Float>.self)
        i += 8
    }
    @inline(__always) func activate(_ v: Float) -> Float { clamp ? min(max(v + bias, 0), 6) : v }
    while 2 * i + 1 < count {
        even[i] = activate(src[2 * i])
        odd[i] = activate(src[2 * i + 1])
        i += 1
    }
    if 2 * i < count { even[i] = activate(src[2 * i]) }
}

/// dst[i] ← bias + Σ_t w[t] · src[i + offsets[t]] for i in 0..<count, then
/// clamped to [0, 6] when `clamp` (a constant at each inlined call site).
/// 32 outputs per step in four independent accumulators (hides FMA latency,
/// shares each weight broadcast), then 8 at a time, then scalars.
@inline(__always)
private func depthwiseRun(
    _ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int,
    weight: UnsafePointer<Float>, offsets: UnsafePointer<Int>, taps: Int, bias: Float, clamp: Bool
) {
    typealias V = SIMD8<Float>
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: clamp ? clampReLU6(v) : v, as: V.self)
    }
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
        dst[i] = clamp ? min(max(a, 0), 6) : a
        i += 1
    }
}

/// x (count) ← min(max(x, 0), 6).
@inline(__always)
func relu6(_ x: UnsafeMutablePointer<Float>, count: Int) {
    biasReLU6(x, x, count: count, bias: 0)
}

/// dst (count) ← min(max(src + bias, 0), 6); dst may be src.
@inline(__always)
func biasReLU6(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int, bias: Float) {
    typealias V = SIMD8<Float>
    let b = V(repeating: bias)
    var i = 0
    while i + 8 <= count {
        let r = clampReLU6(UnsafeRawPointer(src + i).loadUnaligned(as: V.self) + b)
        UnsafeMutableRawPointer(dst + i).storeBytes(of: r, as: V.self)
        i += 8
    }
    while i < count {
        dst[i] = min(max(src[i] + bias, 0), 6)
        i += 1
    }
}

/// min(max(v, 0), 6) lane by lane, exactly. Works on the bit patterns with
/// wrapping integer ops, which stay vector instructions (the generic SIMD
/// min/max are calls in the standard library): a negative float has the sign
/// bit set, and non-negative floats order like their bits as integers.
@inline(__always)
func clampReLU6(_ v: SIMD8<Float>) -> SIMD8<Float> {
    typealias I = SIMD8<Int32>
    let bits = unsafeBitCast(v, to: I.self)
    let positive = bits & ~(bits &>> 31)  // negative → +0
    let six = I(repeating: Int32(bitPattern: Float(6).bitPattern))
    let over = (six &- positive) &>> 31  // all ones where positive > 6
    return unsafeBitCast((positive & ~over) | (six & over), to: SIMD8<Float>.self)
}
