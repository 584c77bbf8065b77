import Foundation
@testable import Model

/// Small deterministic inputs for the joint-space tests.
struct JointFixture {
    var rng = LCG(seed: 42)
    let classes = 20, dimension = 8, featureWidth = 12, batch = 6

    mutating func values(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in rng.uniform() * scale } }

    mutating func unitRows(_ rows: Int, _ width: Int) -> [Float] {
        var x = values(rows * width)
        for r in 0..<rows {
            let norm = (0..<width).reduce(Float(0)) { $0 + x[r * width + $1] * x[r * width + $1] }.squareRoot()
            for j in 0..<width { x[r * width + j] /= norm }
        }
        return x
    }

    mutating func parameters() -> JointParameters {
        var p = JointParameters(dimension: dimension, featureWidth: featureWidth)
        p.imageWeight = values(p.imageWeight.count, scale: 0.3)
        p.imageBias = values(dimension, scale: 0.3)
        p.textWeight = values(p.textWeight.count, scale: 0.3)
        p.textBias = values(dimension, scale: 0.3)
        return p
    }

    mutating func bridge(topT: Int = 3) -> ZeroShotBridge {
        ZeroShotBridge(classText: unitRows(classes, dimension), classCount: classes, dimension: dimension, topT: topT)
    }
}

/// A linear congruential generator, so fixtures never change between runs.
struct LCG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    /// Uniform in [-1, 1).
    mutating func uniform() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(state >> 40) / Float(1 << 23) - 1
    }
}

/// Largest |a−b| / (|b| + floor), for comparing against references.
func maxRelativeDifference(_ a: [Float], _ b: [Double], floor: Double = 1e-3) -> Double {
    precondition(a.count == b.count)
    return zip(a, b).map { abs(Double($0) - $1) / (abs($1) + floor) }.max() ?? 0
}
