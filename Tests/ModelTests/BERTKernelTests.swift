import Foundation
import XCTest
@testable import Model

/// The encoder's element-wise kernels against libm and a Double reference.
final class BERTKernelTests: XCTestCase {
    func testRationalErfMatchesLibm() {
        var worst: Double = 0
        var x: Float = -9
        while x <= 9 {
            worst = max(worst, abs(Double(erfRational(x)) - erf(Double(x))))
            x += 0.0007
        }
        XCTAssertLessThan(worst, 6e-7, "erf approximation error")
        XCTAssertEqual(erfRational(0), 0)
        XCTAssertEqual(erfRational(.infinity), 1, accuracy: 1e-6)
        XCTAssertEqual(erfRational(-.infinity), -1, accuracy: 1e-6)
    }

    /// Both forms (AVX2/FMA where the CPU has them, and portable); 1,847
    /// values so the vector loop's tail runs too.
    func testGELUMatchesExactForm() {
        let inputs = stride(from: Float(-12), through: 12, by: 0.013).map { $0 }
        for kernel in [QuantizedKernel.automatic, .portable] {
            var values = inputs
            values.withUnsafeMutableBufferPointer { bertGELU($0.baseAddress!, count: $0.count, kernel: kernel) }
            for (x, y) in zip(inputs, values) {
                let exact = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
                XCTAssertEqual(Double(y), exact, accuracy: 1e-6 * max(1, abs(exact)), "GELU(\(x)), \(kernel)")
            }
        }
    }

    func testLayerNormMatchesDoubleReference() {
        var generator = SplitMix64(seed: 7)
        // 384 is the encoder's width; 13 exercises the scalar tail.
        for channels in [384, 13, 5] {
            let tokens = 3
            let x = (0..<tokens * channels).map { _ in generator.uniform(-3, 5) }
            let weight = (0..<channels).map { _ in generator.uniform(0.5, 1.5) }
            let bias = (0..<channels).map { _ in generator.uniform(-0.5, 0.5) }
            var out = x
            out.withUnsafeMutableBufferPointer { o in
                bertLayerNorm(o.baseAddress!, weight: weight, bias: bias, tokens: tokens, channels: channels, epsilon: 1e-12)
            }
            for n in 0..<tokens {
                let row = x[n * channels..<(n + 1) * channels].map(Double.init)
                let mean = row.reduce(0, +) / Double(channels)
                let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(channels)
                for c in 0..<channels {
                    let expected = (row[c] - mean) / (variance + 1e-12).squareRoot() * Double(weight[c]) + Double(bias[c])
                    XCTAssertEqual(Double(out[n * channels + c]), expected, accuracy: 1e-4, "row \(n) channel \(c) of \(channels)")
                }
            }
        }
    }

    /// Attention of one sequence in Double: softmax(q_h k_hᵀ / √D) v_h per head.
    private func attentionReference(_ q: [Float], _ k: [Float], _ v: [Float],
                                    length: Int, channels: Int, heads: Int) -> [Double] {
        let d = channels / heads
        var out = [Double](repeating: 0, count: length * channels)
        for h in 0..<heads {
            for i in 0..<length {
                var scores = (0..<length).map { j in
                    (0..<d).reduce(0.0) { $0 + Double(q[i * channels + h * d + $1]) * Double(k[j * channels + h * d + $1]) }
                        / Double(d).squareRoot()
                }
                let top = scores.max()!
                scores = scores.map { exp($0 - top) }
                let total = scores.reduce(0, +)
                for j in 0..<length {
                    for c in 0..<d { out[i * channels + h * d + c] += scores[j] / total * Double(v[j * channels + h * d + c]) }
                }
            }
        }
        return out
    }

    /// The C kernel short sequences take (both forms) and the sgemm one long
    /// sequences take, against Double, at the lengths around the switch; D = 32 is
    /// the encoder's head size, D = 10 exercises the scalar tails.
    func testSelfAttentionKernelsMatchDoubleReference() {
        var generator = SplitMix64(seed: 11)
        for (channels, heads) in [(384, 12), (20, 2)] {
            for length in [1, 2, 7, bertSmallAttentionLength, bertSmallAttentionLength + 1] {
                let q = (0..<length * channels).map { _ in generator.uniform(-2, 2) }
                let k = (0..<length * channels).map { _ in generator.uniform(-2, 2) }
                let v = (0..<length * channels).map { _ in generator.uniform(-1, 1) }
                let expected = attentionReference(q, k, v, length: length, channels: channels, heads: heads)
                let small: [(String, (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)] =
                    length > bertSmallAttentionLength ? [] : [QuantizedKernel.automatic, .portable].map { kernel in
                        ("small \(kernel)", { context, _ in
                            smallSelfAttention(context: context, query: q, key: k, value: v,
                                               length: length, channels: channels, heads: heads, kernel: kernel)
                        })
                    }
                let kernels: [(String, (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void)] = small + [
                    ("blas", { blasSelfAttention(context: $0, query: q, key: k, value: v, scores: $1,
                                                 length: length, channels: channels, heads: heads) }),
                    ("dispatch", { bertSelfAttention(context: $0, query: q, key: k, value: v, scores: $1,
                                                     length: length, channels: channels, heads: heads) }),
                ]
                for (name, kernel) in kernels {
                    // Context starts as garbage: every element must be written.
                    var context = [Float](repeating: .nan, count: length * channels)
                    var scores = [Float](repeating: .nan, count: length * length)
                    context.withUnsafeMutableBufferPointer { c in
                        scores.withUnsafeMutableBufferPointer { s in kernel(c.baseAddress!, s.baseAddress!) }
                    }
                    XCTAssertTrue(context.allSatisfy(\.isFinite), "\(name) kernel left NaN, L=\(length)")
                    let worst = zip(context, expected).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
                    XCTAssertLessThan(worst, 1e-5, "\(name) kernel, L=\(length) C=\(channels) heads=\(heads)")
                }
            }
        }
    }
}
