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

    func testGELUMatchesExactForm() {
        let inputs = stride(from: Float(-12), through: 12, by: 0.013).map { $0 }
        var values = inputs
        values.withUnsafeMutableBufferPointer { bertGELU($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(inputs, values) {
            let exact = 0.5 * Double(x) * (1 + erf(Double(x) / 2.0.squareRoot()))
            XCTAssertEqual(Double(y), exact, accuracy: 1e-6 * max(1, abs(exact)), "GELU(\(x))")
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
}
