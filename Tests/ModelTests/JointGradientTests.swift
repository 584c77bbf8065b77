import XCTest
@testable import Model

/// Hand-written backward passes of φ, θ and the ranking loss against central
/// finite differences (computed in Double from the Float forward).
final class JointGradientTests: XCTestCase {
    /// Objective Σ r ⊙ y for a fixed random r, so dy = r.
    func testImageProjectionGradients() {
        var fx = JointFixture()
        var p = fx.parameters()
        let n = 4
        let b = fx.unitRows(n, fx.dimension), f = fx.values(n * fx.featureWidth)
        let r = fx.values(n * fx.dimension)
        func objective(_ q: JointParameters) -> Double {
            zip(q.imageForward(bridge: b, features: f, batch: n).output, r).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var g = JointGradients(like: p)
        p.imageBackward(&g, outputGradient: r, p.imageForward(bridge: b, features: f, batch: n))
        checkGradient(g.imageWeight, of: \.imageWeight, in: &p, objective, name: "dW")
        checkGradient(g.imageBias, of: \.imageBias, in: &p, objective, name: "dc")
    }

    func testTextProjectionGradients() {
        var fx = JointFixture()
        var p = fx.parameters()
        let n = 4
        let s = fx.unitRows(n, fx.dimension), r = fx.values(n * fx.dimension)
        func objective(_ q: JointParameters) -> Double {
            zip(q.textForward(sentences: s, batch: n).output, r).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var g = JointGradients(like: p)
        p.textBackward(&g, outputGradient: r, p.textForward(sentences: s, batch: n))
        checkGradient(g.textWeight, of: \.textWeight, in: &p, objective, name: "dA")
        checkGradient(g.textBias, of: \.textBias, in: &p, objective, name: "dd")
    }

    func testTripletHingeGradientsWithSharedNegativePool() {
        var fx = JointFixture()
        let n = 5, d = fx.dimension
        var inputs = [fx.values(n * d), fx.values(n * d), fx.values(3 * d)]  // anchors, positives, pool (3 rows)
        let index = [0, 2, 2, 1, 0]
        let margin: Float = 1.5  // most triplets active, so the gradient is non-trivial
        func loss(_ x: [[Float]]) -> (Float, [[Float]]) {
            var da = [Float](repeating: 0, count: n * d), dp = da, dn = [Float](repeating: 0, count: 3 * d)
            let l = tripletHingeLoss(anchors: x[0], positives: x[1], negativePool: x[2], negativeIndex: index,
                                     margin: margin, weight: 0.7, dimension: d, dAnchors: &da, dPositives: &dp, dNegativePool: &dn)
            return (l, [da, dp, dn])
        }
        let analytic = loss(inputs).1
        XCTAssertGreaterThan(analytic[0].map(abs).max()!, 0)
        for t in 0..<3 {
            for i in 0..<inputs[t].count {
                let saved = inputs[t][i], h: Float = 1e-2
                inputs[t][i] = saved + h; let up = Double(loss(inputs).0)
                inputs[t][i] = saved - h; let down = Double(loss(inputs).0)
                inputs[t][i] = saved
                XCTAssertEqual(Double(analytic[t][i]), (up - down) / (2 * Double(h)), accuracy: 2e-3, "input \(t) element \(i)")
            }
        }
    }

    func testInactiveTripletHasNoLossOrGradient() {
        let a: [Float] = [1, 0], p: [Float] = [1, 0], pool: [Float] = [0, 1]
        var da: [Float] = [0, 0], dp: [Float] = [0, 0], dn: [Float] = [0, 0]
        let loss = tripletHingeLoss(anchors: a, positives: p, negativePool: pool, negativeIndex: [0], margin: 0.5,
                                    weight: 1, dimension: 2, dAnchors: &da, dPositives: &dp, dNegativePool: &dn)
        XCTAssertEqual(loss, 0)
        XCTAssertEqual(da + dp + dn, [0, 0, 0, 0, 0, 0])
        // At a violation of 1 the loss is ½.
        let active = tripletHingeLoss(anchors: a, positives: pool, negativePool: p, negativeIndex: [0], margin: 0,
                                      weight: 1, dimension: 2, dAnchors: &da, dPositives: &dp, dNegativePool: &dn)
        XCTAssertEqual(active, 0.5, accuracy: 1e-7)
    }

    /// Compares `analytic` with central differences on every element (small fixtures).
    private func checkGradient(_ analytic: [Float], of path: WritableKeyPath<JointParameters, [Float]>,
                               in p: inout JointParameters, _ objective: (JointParameters) -> Double, name: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        var worst = 0.0
        for i in 0..<analytic.count {
            let saved = p[keyPath: path][i], h: Float = 1e-2
            p[keyPath: path][i] = saved + h; let up = objective(p)
            p[keyPath: path][i] = saved - h; let down = objective(p)
            p[keyPath: path][i] = saved
            let numeric = (up - down) / (2 * Double(h))
            worst = max(worst, abs(numeric - Double(analytic[i])) / (abs(numeric) + 1e-2))
        }
        XCTAssertLessThan(worst, 2e-2, "\(name): worst relative difference \(worst)", file: file, line: line)
        XCTAssertGreaterThan(analytic.map(abs).max() ?? 0, 1e-4, "\(name) is all zero", file: file, line: line)
    }
}
