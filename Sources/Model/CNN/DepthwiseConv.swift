// Depthwise convolution: one k×k filter per channel, as a direct loop.
//
// Each input plane is first copied into a zero-padded scratch plane, split
// into `stride` column phases (phase p holds padded columns p, p+s, p+2s, ...).
// Input column s·ox + kx is then element ox + kx/s of phase kx % s, so the
// inner loop reads contiguous memory for every stride and the compiler can
// vectorise it; no bounds checks are needed inside it.

/// The scratch floats `depthwiseConv` needs for one plane.
public func depthwiseScratchCount(height: Int, width: Int, kernel: Int, stride: Int) -> Int {
    let padY = SamePadding(size: height, kernel: kernel, stride: stride)
    let padX = SamePadding(size: width, kernel: kernel, stride: stride)
    let paddedW = width + padX.before + padX.after
    let phaseW = (paddedW + stride - 1) / stride
    return (height + padY.before + padY.after) * phaseW * stride
}

/// out (C·N, OH, OW) ← act(depthwise(x (C·N, H, W), w (C,k,k)) + bias (C)),
/// SAME padding. Planes are channel-major: plane c·N + n is channel c of
/// image n. `scratch` holds `depthwiseScratchCount(...)` floats.
public func depthwiseConv(
    _ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    channels: Int, batch: Int, height: Int, width: Int, kernel: Int, stride: Int,
    activation: Activation, scratch: UnsafeMutablePointer<Float>
) {
    let padY = SamePadding(size: height, kernel: kernel, stride: stride)
    let padX = SamePadding(size: width, kernel: kernel, stride: stride)
    let outH = padY.output, outW = padX.output
    let paddedH = height + padY.before + padY.after
    let paddedW = width + padX.before + padX.after
    let phaseW = (paddedW + stride - 1) / stride
    let rowLength = phaseW * stride
    scratch.update(repeating: 0, count: paddedH * rowLength)
    for c in 0..<channels {
        let w = weight + c * kernel * kernel
        for n in 0..<batch {
            let plane = c * batch + n
            padPlane(scratch, x + plane * height * width, height: height, width: width,
                     top: padY.before, left: padX.before, stride: stride, phaseW: phaseW)
            depthwisePlane(out + plane * outH * outW, scratch, weight: w, bias: bias[c],
                           outH: outH, outW: outW, kernel: kernel, stride: stride,
                           phaseW: phaseW, rowLength: rowLength, activation: activation)
        }
    }
}

/// scratch ((H+pads), stride·phaseW) ← x (H,W) placed at (top, left) and split
/// into column phases. The padding cells are never written, so they keep the
/// zeros the caller filled in once per layer.
@inline(__always)
private func padPlane(
    _ scratch: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    height: Int, width: Int, top: Int, left: Int, stride: Int, phaseW: Int
) {
    let rowLength = phaseW * stride
    for y in 0..<height {
        let src = x + y * width
        let dst = scratch + (y + top) * rowLength
        if stride == 1 {
            (dst + left).update(from: src, count: width)
        } else {
            for xi in 0..<width {
                let px = xi + left
                dst[(px % stride) * phaseW + px / stride] = src[xi]
            }
        }
    }
}

/// out (OH,OW) ← act(Σ w (k,k) ⊙ window + bias) over one padded, phase-split plane.
@inline(__always)
private func depthwisePlane(
    _ out: UnsafeMutablePointer<Float>, _ padded: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: Float,
    outH: Int, outW: Int, kernel: Int, stride: Int, phaseW: Int, rowLength: Int,
    activation: Activation
) {
    for oy in 0..<outH {
        let dst = out + oy * outW
        dst.update(repeating: bias, count: outW)
        for ky in 0..<kernel {
            let row = padded + (oy * stride + ky) * rowLength
            for kx in 0..<kernel {
                let wv = weight[ky * kernel + kx]
                let src = row + (kx % stride) * phaseW + kx / stride
                for ox in 0..<outW { dst[ox] += wv * src[ox] }
            }
        }
        if activation == .relu6 {
            for ox in 0..<outW { dst[ox] = min(max(dst[ox], 0), 6) }
        }
    }
}
