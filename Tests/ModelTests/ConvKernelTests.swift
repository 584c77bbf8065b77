import XCTest
@testable import Model

/// Each CNN kernel against a plain nested loop written straight from the
/// definition (TensorFlow SAME padding), on random odd-sized shapes.
final class ConvKernelTests: XCTestCase {
    private var generator = SplitMix64(seed: 0x5EED)

    private func randomFloats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
    }

    /// TF SAME: out = ceil(in/s), total pad = max((out-1)·s + k - in, 0), the
    /// odd one at the bottom/right.
    private func samePad(_ size: Int, _ k: Int, _ s: Int) -> (out: Int, top: Int) {
        let out = Int((Double(size) / Double(s)).rounded(.up))
        let total = max((out - 1) * s + k - size, 0)
        return (out, total / 2)
    }

    // x (C,H,W), w (O,C,k,k) -> (O,OH,OW)
    private func naiveConv(_ x: [Float], _ w: [Float], c: Int, h: Int, wd: Int, o: Int, k: Int, s: Int) -> [Float] {
        let (oh, top) = samePad(h, k, s), (ow, left) = samePad(wd, k, s)
        var out = [Float](repeating: 0, count: o * oh * ow)
        for oc in 0..<o { for oy in 0..<oh { for ox in 0..<ow {
            var sum: Double = 0
            for ic in 0..<c { for ky in 0..<k { for kx in 0..<k {
                let iy = oy * s + ky - top, ix = ox * s + kx - left
                if iy >= 0, iy < h, ix >= 0, ix < wd {
                    sum += Double(x[(ic * h + iy) * wd + ix]) * Double(w[((oc * c + ic) * k + ky) * k + kx])
                }
            } } }
            out[(oc * oh + oy) * ow + ox] = Float(sum)
        } } }
        return out
    }

    private func assertClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(diff, tolerance, "\(message): max |Δ| = \(diff)", file: file, line: line)
    }

    func testSamePaddingMatchesTensorFlowForStride2() {
        // 224 with a 3×3/2 kernel: 112 outputs, no padding on top, one row at the bottom.
        func triple(_ p: SamePadding) -> [Int] { [p.output, p.before, p.after] }
        XCTAssertEqual(triple(SamePadding(size: 224, kernel: 3, stride: 2)), [112, 0, 1])
        XCTAssertEqual(triple(SamePadding(size: 112, kernel: 5, stride: 2)), [56, 1, 2])
        XCTAssertEqual(triple(SamePadding(size: 7, kernel: 5, stride: 1)), [7, 2, 2])
    }

    func testIm2colGEMMMatchesNaiveConvolution() {
        let shapes: [(Int, Int, Int, Int, Int, Int)] = [(3, 9, 7, 5, 3, 2), (4, 8, 8, 6, 3, 1), (2, 11, 13, 3, 5, 2), (3, 6, 5, 4, 5, 1),
                                                         (1, 1, 1, 2, 3, 2), (3, 4, 4, 2, 1, 2)]
        for (c, h, wd, o, k, s) in shapes {
            let x = randomFloats(c * h * wd), w = randomFloats(o * c * k * k)
            let (oh, _) = samePad(h, k, s), (ow, _) = samePad(wd, k, s)
            // Two images side by side in one column matrix, as the stem does.
            let p = oh * ow
            var cols = [Float](repeating: .nan, count: c * k * k * 2 * p)
            cols.withUnsafeMutableBufferPointer { cb in
                x.withUnsafeBufferPointer { xb in
                    for image in 0..<2 {
                        im2col(cb.baseAddress!, xb.baseAddress!, channels: c, height: h, width: wd, kernel: k, stride: s,
                               ldCols: 2 * p, columnOffset: image * p)
                    }
                }
            }
            let out = matmul(w, cols, m: o, n: 2 * p, k: c * k * k)
            let expected = naiveConv(x, w, c: c, h: h, wd: wd, o: o, k: k, s: s)
            let label = "conv C\(c) \(h)×\(wd) O\(o) k\(k) s\(s)"
            for image in 0..<2 {
                var got: [Float] = []
                for oc in 0..<o {
                    let begin = oc * 2 * p + image * p
                    got += out[begin..<(begin + p)]
                }
                assertClose(got, expected, label)
            }
        }
    }

    func testDepthwiseMatchesNaiveLoop() {
        // Widths past 64 and 16 reach every vector block of the kernels; odd
        // widths and odd left padding (k5 s2) reach the deinterleave edges.
        let shapes: [(Int, Int, Int, Int, Int, Int)] = [(3, 2, 9, 7, 3, 2), (4, 1, 8, 8, 3, 1), (2, 3, 11, 13, 5, 2), (5, 2, 7, 6, 5, 1),
                                                         (2, 1, 1, 1, 3, 1), (2, 2, 2, 3, 5, 2), (2, 1, 9, 75, 3, 1),
                                                         (2, 1, 6, 67, 5, 2), (1, 2, 5, 40, 3, 2)]
        for (c, n, h, wd, k, s) in shapes {
            let x = randomFloats(c * n * h * wd), w = randomFloats(c * k * k), bias = randomFloats(c)
            let (oh, _) = samePad(h, k, s), (ow, _) = samePad(wd, k, s)
            for activation in [Activation.none, .relu6] {
                var out = [Float](repeating: .nan, count: c * n * oh * ow)
                var scratch = [Float](repeating: .nan, count: depthwiseScratchCount(height: h, width: wd, kernel: k, stride: s))
                out.withUnsafeMutableBufferPointer { ob in
                    scratch.withUnsafeMutableBufferPointer { sb in
                        depthwiseConv(ob.baseAddress!, x, weight: w, bias: bias, channels: c, batch: n, height: h, width: wd,
                                      kernel: k, stride: s, activation: activation, scratch: sb.baseAddress!)
                    }
                }
                // Channel-major planes: plane ci·N + ni; each is a 1-channel conv.
                var expected: [Float] = []
                for ci in 0..<c {
                    let filter = Array(w[(ci * k * k)..<((ci + 1) * k * k)])
                    for ni in 0..<n {
                        let plane = Array(x[((ci * n + ni) * h * wd)..<((ci * n + ni + 1) * h * wd)])
                        let conv = naiveConv(plane, filter, c: 1, h: h, wd: wd, o: 1, k: k, s: s)
                        expected += conv.map { v in
                            let z = v + bias[ci]
                            return activation == .relu6 ? min(max(z, 0), 6) : z
                        }
                    }
                }
                assertClose(out, expected, "depthwise C\(c) N\(n) \(h)×\(wd) k\(k) s\(s) \(activation)")
            }
        }
    }

    func testPointwiseConvMatchesNaiveProduct() {
        // P past 64 with a remainder, P under 16, rows not a multiple of 8.
        let shapes: [(o: Int, k: Int, p: Int)] = [(16, 24, 200), (8, 40, 49), (12, 7, 70), (24, 96, 64), (5, 3, 17)]
        for (o, k, p) in shapes {
            let w = randomFloats(o * k), x = randomFloats(k * p), bias = randomFloats(o), residual = randomFloats(o * p)
            var expected = [Float](repeating: 0, count: o * p)
            for oc in 0..<o { for j in 0..<p {
                var sum = Double(bias[oc])
                for i in 0..<k { sum += Double(w[oc * k + i]) * Double(x[i * p + j]) }
                expected[oc * p + j] = Float(sum)
            } }
            for (activation, withResidual) in [(Activation.none, false), (.relu6, false), (.none, true), (.relu6, true)] {
                var out = [Float](repeating: .nan, count: o * p)
                residual.withUnsafeBufferPointer { r in
                    out.withUnsafeMutableBufferPointer {
                        pointwiseConv($0.baseAddress!, weight: w, x, bias: bias, outChannels: o, inChannels: k, positions: p,
                                      activation: activation, residual: withResidual ? r.baseAddress! : nil)
                    }
                }
                let want = zip(expected, residual).map { value, res in
                    let z = value + (withResidual ? res : 0)
                    return activation == .relu6 ? min(max(z, 0), 6) : z
                }
                assertClose(out, want, "pointwise O\(o) K\(k) P\(p) \(activation) residual \(withResidual)")
            }
        }
    }

    func testDepthwiseFusedInputEpilogueEqualsSeparatePasses() {
        // Widths past 16 reach the vector path of the stride-2 copy, odd ones its tail.
        let shapes: [(Int, Int, Int, Int, Int, Int)] = [(3, 2, 9, 7, 3, 2), (4, 1, 12, 12, 5, 1), (2, 2, 7, 7, 5, 1),
                                                         (2, 1, 6, 37, 5, 2), (2, 2, 5, 40, 3, 2)]
        for (c, n, h, wd, k, s) in shapes {
            let x = randomFloats(c * n * h * wd).map { $0 * 8 }, inBias = randomFloats(c)
            let w = randomFloats(c * k * k), bias = randomFloats(c)
            let (oh, _) = samePad(h, k, s), (ow, _) = samePad(wd, k, s)
            // relu6(x + inBias) computed here, plane by plane.
            var activated = x
            for i in 0..<activated.count { activated[i] = min(max(x[i] + inBias[i / (n * h * wd)], 0), 6) }
            var fused = [Float](repeating: .nan, count: c * n * oh * ow), separate = fused
            var scratch = [Float](repeating: .nan, count: depthwiseScratchCount(height: h, width: wd, kernel: k, stride: s))
            scratch.withUnsafeMutableBufferPointer { sb in
                fused.withUnsafeMutableBufferPointer { ob in
                    depthwiseConv(ob.baseAddress!, x, weight: w, bias: bias, channels: c, batch: n, height: h, width: wd,
                                  kernel: k, stride: s, activation: .none, scratch: sb.baseAddress!, inputBias: inBias)
                }
                separate.withUnsafeMutableBufferPointer { ob in
                    depthwiseConv(ob.baseAddress!, activated, weight: w, bias: bias, channels: c, batch: n, height: h,
                                  width: wd, kernel: k, stride: s, activation: .none, scratch: sb.baseAddress!)
                }
            }
            assertClose(fused, separate, tolerance: 1e-5, "fused depthwise C\(c) N\(n) \(h)×\(wd) k\(k) s\(s)")
        }
    }

    func testPoolWithBiasReLU6MatchesSeparatePasses() {
        let (c, n, spatial) = (4, 2, 7 * 7)
        let x = randomFloats(c * n * spatial).map { $0 * 10 }, bias = randomFloats(c)
        var fused = [Float](repeating: .nan, count: n * c)
        fused.withUnsafeMutableBufferPointer {
            globalAveragePoolBiasReLU6($0.baseAddress!, x, bias: bias, channels: c, batch: n, spatial: spatial, ldOut: c)
        }
        for ci in 0..<c { for ni in 0..<n {
            let plane = x[((ci * n + ni) * spatial)..<((ci * n + ni + 1) * spatial)]
            let mean = plane.reduce(0.0) { $0 + Double(min(max($1 + bias[ci], 0), 6)) } / Double(spatial)
            XCTAssertEqual(fused[ni * c + ci], Float(mean), accuracy: 1e-5)
        } }
    }

    func testGlobalAveragePoolMatchesMean() {
        let (c, n, spatial) = (5, 3, 7 * 7)
        let x = randomFloats(c * n * spatial)
        var out = [Float](repeating: .nan, count: n * c)
        out.withUnsafeMutableBufferPointer { globalAveragePool($0.baseAddress!, x, channels: c, batch: n, spatial: spatial, ldOut: c) }
        var expected = [Float](repeating: 0, count: n * c)
        for ci in 0..<c { for ni in 0..<n {
            let plane = x[((ci * n + ni) * spatial)..<((ci * n + ni + 1) * spatial)]
            expected[ni * c + ci] = Float(plane.reduce(0.0) { $0 + Double($1) } / Double(spatial))
        } }
        assertClose(out, expected, tolerance: 1e-6, "pool")
    }

    func testReLU6ClampIsExactForLargeAndNegativeValues() {
        // Vector lanes and the scalar tail alike: 8 + 3 values.
        let values: [Float] = [-1e9, -0.0, 0, 5.999999, 6, 6.000001, 1e3, 3.3e7, -7, 1e9, 2.5]
        var out = [Float](repeating: .nan, count: values.count)
        out.withUnsafeMutableBufferPointer { biasReLU6($0.baseAddress!, values, count: values.count, bias: 0) }
        for (got, value) in zip(out, values) { XCTAssertEqual(got, min(max(value, 0), 6), "relu6(\(value))") }
    }

    func testBiasActivationAddsResidualThenClips() {
        let (o, p, ld) = (3, 5, 6)
        let base = randomFloats(o * ld).map { $0 * 8 }, bias = randomFloats(o), residual = randomFloats(o * ld)
        var out = base
        out.withUnsafeMutableBufferPointer {
            biasActivation($0.baseAddress!, bias: bias, channels: o, positions: p, ldOut: ld, activation: .relu6, residual: residual)
        }
        for oc in 0..<o { for i in 0..<ld {
            let index = oc * ld + i
            let expected = i < p ? min(max(base[index] + bias[oc] + residual[index], 0), 6) : base[index]
            XCTAssertEqual(out[index], expected, accuracy: 1e-6)
        } }
    }
}
