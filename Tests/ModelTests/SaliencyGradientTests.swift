import XCTest
@testable import Model

/// The gradient baseline's transposed convolutions against finite
/// differences of a naive TF-SAME convolution written here.
final class SaliencyGradientTests: XCTestCase {
    /// x (C,H,W), w (O,C/groups,k,k) → y (O,ceil(H/s),ceil(W/s)), padding split with the extra at bottom/right.
    private func naiveConv(_ x: [Float], _ w: [Float], c: Int, o: Int, groups: Int, h: Int, wd: Int, k: Int, s: Int) -> [Float] {
        let oh = (h + s - 1) / s, ow = (wd + s - 1) / s
        let top = max((oh - 1) * s + k - h, 0) / 2, left = max((ow - 1) * s + k - wd, 0) / 2
        let cg = c / groups, perGroup = o / groups
        var y = [Float](repeating: 0, count: o * oh * ow)
        for oc in 0..<o {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var sum: Float = 0
                    for ci in 0..<cg {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * s + ky - top, ix = ox * s + kx - left
                                guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                                sum += w[((oc * cg + ci) * k + ky) * k + kx] * x[((oc / perGroup) * cg + ci) * h * wd + iy * wd + ix]
                            }
                        }
                    }
                    y[(oc * oh + oy) * ow + ox] = sum
                }
            }
        }
        return y
    }

    func testConvGradientMatchesFiniteDifferences() throws {
        var random = ExcitationTestRandom(seed: 21)
        let cases: [(c: Int, o: Int, groups: Int, k: Int, s: Int)] = [(3, 4, 1, 3, 2), (4, 4, 4, 5, 2), (4, 4, 4, 3, 1), (5, 3, 1, 1, 1)]
        for (c, o, groups, k, s) in cases {
            let (h, wd) = (7, 6)
            let shape = Excitation.ConvShape(inChannels: c, outChannels: o, groups: groups, height: h, width: wd, kernel: k, stride: s)
            let x = random.values(c * h * wd, -1, 1), w = random.values(shape.weightCount, -1, 1)
            let dy = random.values(o * shape.outHeight * shape.outWidth, -1, 1)
            let dx = try Excitation.convGradient(dy, weight: w, shape: shape)
            // L = dy · conv(x) is linear in x, so central differences are exact up to rounding.
            func loss(_ x: [Float]) -> Float {
                zip(dy, naiveConv(x, w, c: c, o: o, groups: groups, h: h, wd: wd, k: k, s: s)).reduce(0) { $0 + $1.0 * $1.1 }
            }
            for i in stride(from: 0, to: x.count, by: 5) {
                var up = x, down = x
                up[i] += 0.01
                down[i] -= 0.01
                XCTAssertEqual(dx[i], (loss(up) - loss(down)) / 0.02, accuracy: 2e-3, "case \((c, o, groups, k, s)) input \(i)")
            }
        }
    }

    func testRelu6GradientPassesOnlyInsideTheLinearRange() {
        let dy: [Float] = [1, 2, 3, 4]
        XCTAssertEqual(Excitation.relu6Gradient(dy, output: [0, 3, 6, 5.9]), [0, 2, 0, 4])
    }
}
