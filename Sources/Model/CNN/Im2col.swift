// im2col for dense convolutions: turns a k×k, stride-s convolution into one
// GEMM, out (O, P) = w (O, C·k·k) · cols (C·k·k, P).

/// cols (C·k·k, ldCols) ← patches of x (C,H,W) with SAME padding, written
/// from column `columnOffset` on (so several images share one GEMM).
/// Row r = (c·k + ky)·k + kx matches the (O,C,k,k) weight layout; column
/// oy·OW + ox is one output position. Padding reads as zero.
public func im2col(
    _ cols: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
    channels: Int, height: Int, width: Int, kernel: Int, stride: Int,
    ldCols: Int, columnOffset: Int = 0
) {
    let padY = SamePadding(size: height, kernel: kernel, stride: stride)
    let padX = SamePadding(size: width, kernel: kernel, stride: stride)
    let outH = padY.output, outW = padX.output
    for c in 0..<channels {
        let plane = x + c * height * width
        for ky in 0..<kernel {
            for kx in 0..<kernel {
                let row = cols + ((c * kernel + ky) * kernel + kx) * ldCols + columnOffset
                // Output columns whose input column lies inside the image.
                let firstX = max(0, (padX.before - kx + stride - 1) / stride)
                let endX = min(outW, (width - 1 + padX.before - kx) / stride + 1)
                for oy in 0..<outH {
                    let dst = row + oy * outW
                    let iy = oy * stride + ky - padY.before
                    guard iy >= 0, iy < height, firstX < endX else {
                        dst.update(repeating: 0, count: outW)
                        continue
                    }
                    let src = plane + iy * width + (kx - padX.before)
                    if firstX > 0 { dst.update(repeating: 0, count: firstX) }
                    if stride == 1 {
                        (dst + firstX).update(from: src + firstX, count: endX - firstX)
                    } else {
                        for ox in firstX..<endX { dst[ox] = src[ox * stride] }
                    }
                    if endX < outW { (dst + endX).update(repeating: 0, count: outW - endX) }
                }
            }
        }
    }
}
