/// Element types the resampler reads: 8-bit pixels or float maps.
protocol ResampleSample { var floatValue: Float { get } }
extension UInt8: ResampleSample { @inline(__always) var floatValue: Float { Float(self) } }
extension Float: ResampleSample { @inline(__always) var floatValue: Float { self } }

/// Where the resampler writes: element (y, x, c) goes to
/// base[c*planeStride + (y*width + x)*pixelStride]. HWC interleaved uses
/// (planeStride 1, pixelStride C); CHW planar uses (H*W, 1).
struct ResampleLayout {
    let planeStride: Int
    let pixelStride: Int

    static func interleaved(channels: Int) -> ResampleLayout { .init(planeStride: 1, pixelStride: channels) }
    static func planar(width: Int, height: Int) -> ResampleLayout { .init(planeStride: width * height, pixelStride: 1) }
}

/// Separable resampling: horizontal pass into a float buffer, then vertical.
/// src (H, W, C) interleaved -> dst per `layout`, (outH, outW, C) logically.
func resample<Sample: ResampleSample>(
    _ src: UnsafeBufferPointer<Sample>, width: Int, height: Int, channels: Int,
    horizontal: ResampleWeights, vertical: ResampleWeights,
    into dst: UnsafeMutableBufferPointer<Float>, layout: ResampleLayout
) {
    let outWidth = horizontal.outputCount, outHeight = vertical.outputCount
    precondition(src.count == width * height * channels, "resample: source size mismatch")
    precondition(dst.count >= outWidth * outHeight * channels, "resample: destination too small")
    let rowLength = outWidth * channels

    // Only input rows some output row reads need the horizontal pass.
    let firstRow = vertical.start.min() ?? 0
    let endRow = min(height, (vertical.start.max() ?? 0) + vertical.taps)
    var horizontalRows = [Float](repeating: 0, count: max(endRow - firstRow, 0) * rowLength)
    var accumulator = [Float](repeating: 0, count: rowLength)

    horizontal.weights.withUnsafeBufferPointer { hw in
    horizontal.start.withUnsafeBufferPointer { hs in
    horizontalRows.withUnsafeMutableBufferPointer { rowsBuffer in
        // x (H, W, C) -> rows (endRow-firstRow, outW, C)
        let source = src.baseAddress!, rows = rowsBuffer.baseAddress!
        let taps = horizontal.taps
        for y in firstRow..<endRow {
            let inRow = source + y * width * channels
            let outRow = rows + (y - firstRow) * rowLength
            if channels == 3 {
                for ox in 0..<outWidth {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    var p = inRow + hs[ox] * 3
                    let w = hw.baseAddress! + ox * taps
                    for k in 0..<taps {
                        let weight = w[k]
                        r += weight * p[0].floatValue
                        g += weight * p[1].floatValue
                        b += weight * p[2].floatValue
                        p += 3
                    }
                    outRow[ox * 3] = r; outRow[ox * 3 + 1] = g; outRow[ox * 3 + 2] = b
                }
            } else {
                for ox in 0..<outWidth {
                    let w = hw.baseAddress! + ox * taps
                    for c in 0..<channels {
                        var sum: Float = 0
                        var p = inRow + hs[ox] * channels + c
                        for k in 0..<taps { sum += w[k] * p.pointee.floatValue; p += channels }
                        outRow[ox * channels + c] = sum
                    }
                }
            }
        }
    }}}

    vertical.weights.withUnsafeBufferPointer { vw in
    horizontalRows.withUnsafeBufferPointer { rowsBuffer in
    accumulator.withUnsafeMutableBufferPointer { accumulatorBuffer in
        // rows (.., outW, C) -> dst (outH, outW, C) in `layout`
        let rows = rowsBuffer.baseAddress!, acc = accumulatorBuffer.baseAddress!
        let out = dst.baseAddress!
        for oy in 0..<outHeight {
            acc.update(repeating: 0, count: rowLength)
            let w = vw.baseAddress! + oy * vertical.taps
            for k in 0..<vertical.taps {
                let weight = w[k]
                if weight == 0 { continue }
                let row = rows + (vertical.start[oy] + k - firstRow) * rowLength
                for i in 0..<rowLength { acc[i] += weight * row[i] }
            }
            if layout.planeStride == 1 && layout.pixelStride == channels {
                (out + oy * rowLength).update(from: acc, count: rowLength)
            } else {
                for x in 0..<outWidth {
                    for c in 0..<channels {
                        out[c * layout.planeStride + (oy * outWidth + x) * layout.pixelStride] = acc[x * channels + c]
                    }
                }
            }
        }
    }}}
}
