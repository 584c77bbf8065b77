import XCTest
@testable import Model

/// The grid image side's hand-written backward passes (sorted pooling,
/// per-cell projection) against central finite differences, and the
/// pooling's limits.
final class JointGridGradientTests: XCTestCase {
    let cells = 5

    func testSortedPoolingGradientsForInputAndWeights() {
        var fx = JointFixture()
        let n = 3, d = fx.dimension
        // Cell values at least 0.25 apart within each column, so no finite-difference step reorders them.
        var x = [Float](repeating: 0, count: n * cells * d)
        for photo in 0..<n {
            for j in 0..<d {
                for c in 0..<cells { x[(photo * cells + c) * d + j] = Float((c * 3 + j + photo) % cells) * 0.3 - 0.6 + 0.05 * fx.values(1)[0] }
            }
        }
        var theta = fx.values(cells, scale: 1.5)
        let r = fx.values(n * d)
        func objective(_ x: [Float], _ theta: [Float]) -> Double {
            zip(sortedWeightedPool(x, logits: theta, batch: n, dimension: d).output, r).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        let (_, act) = sortedWeightedPool(x, logits: theta, batch: n, dimension: d)
        var dx = [Float](), dTheta = [Float](repeating: 0, count: cells)
        sortedWeightedPoolBackward(r, x: x, act, dInput: &dx, dLogits: &dTheta)
        assertMatchesFiniteDifferences(dx, name: "dx") { i, h in
            let saved = x[i]
            x[i] = saved + h; let up = objective(x, theta)
            x[i] = saved - h; let down = objective(x, theta)
            x[i] = saved
            return (up - down) / (2 * Double(h))
        }
        assertMatchesFiniteDifferences(dTheta, name: "dθ") { i, h in
            let saved = theta[i]
            theta[i] = saved + h; let up = objective(x, theta)
            theta[i] = saved - h; let down = objective(x, theta)
            theta[i] = saved
            return (up - down) / (2 * Double(h))
        }
    }

    func testZeroWeightsAreMeanPoolingAndOneDominantWeightIsMaxPooling() {
        var fx = JointFixture()
        let n = 2, d = fx.dimension
        let x = fx.values(n * cells * d)
        let mean = sortedWeightedPool(x, logits: [Float](repeating: 0, count: cells), batch: n, dimension: d).output
        var first = [Float](repeating: 0, count: cells)
        first[0] = 40
        let max = sortedWeightedPool(x, logits: first, batch: n, dimension: d).output
        for photo in 0..<n {
            for j in 0..<d {
                let column = (0..<cells).map { x[(photo * cells + $0) * d + j] }
                XCTAssertEqual(mean[photo * d + j], column.reduce(0, +) / Float(cells), accuracy: 1e-6)
                XCTAssertEqual(max[photo * d + j], column.max()!, accuracy: 1e-6)
            }
        }
    }

    /// Objective Σ r ⊙ φ for a fixed random r, so dφ = r.
    func testGridProjectionGradients() {
        var fx = JointFixture()
        var p = fx.parameters().withGridPooling(cells: cells)
        p.gridPooling = fx.values(cells)
        let n = 3
        let b = fx.unitRows(n, fx.dimension), g = fx.values(n * cells * fx.featureWidth).map { abs($0) * 3 }
        let r = fx.values(n * fx.dimension)
        func objective(_ q: JointParameters) -> Double {
            zip(q.gridImageForward(bridge: b, grid: g, batch: n).output, r).reduce(0) { $0 + Double($1.0 * $1.1) }
        }
        var grads = JointGradients(like: p)
        p.gridImageBackward(&grads, outputGradient: r, p.gridImageForward(bridge: b, grid: g, batch: n))
        for (analytic, path, name) in [(grads.imageWeight, \JointParameters.imageWeight, "dW"),
                                       (grads.imageBias, \JointParameters.imageBias, "dc"),
                                       (grads.gridPooling!, \JointParameters.gridPooling!, "dθ")] {
            assertMatchesFiniteDifferences(analytic, name: name) { i, h in
                let saved = p[keyPath: path][i]
                p[keyPath: path][i] = saved + h; let up = objective(p)
                p[keyPath: path][i] = saved - h; let down = objective(p)
                p[keyPath: path][i] = saved
                return (up - down) / (2 * Double(h))
            }
        }
    }

    /// θ = 0 pools by the mean, and W is linear, so a pooled model turned
    /// into a grid model embeds photos exactly as before (from the grid's mean).
    func testGridModelWithZeroPoolingEqualsThePooledModel() {
        var fx = JointFixture()
        let pooled = fx.parameters(), grid = pooled.withGridPooling(cells: cells)
        let n = 4, f = fx.featureWidth
        let b = fx.unitRows(n, fx.dimension), g = fx.values(n * cells * f)
        var mean = [Float](repeating: 0, count: n * f)
        for photo in 0..<n { for c in 0..<cells { for j in 0..<f { mean[photo * f + j] += g[(photo * cells + c) * f + j] / Float(cells) } } }
        let expected = pooled.imageForward(bridge: b, features: mean, batch: n).output
        let actual = grid.gridImageForward(bridge: b, grid: g, batch: n).output
        for i in expected.indices { XCTAssertEqual(actual[i], expected[i], accuracy: 1e-5) }
    }

    /// Central differences at two step sizes, the smaller taken where the
    /// larger crosses a kink of the sort (a swap of two cell values).
    private func assertMatchesFiniteDifferences(_ analytic: [Float], name: String,
                                                file: StaticString = #filePath, line: UInt = #line,
                                                _ numeric: (Int, Float) -> Double) {
        var worst = 0.0
        for i in analytic.indices {
            let a = Double(analytic[i])
            let error = [Float(1e-2), 1e-3].map { h -> Double in
                let n = numeric(i, h)
                return abs(n - a) / (abs(n) + 1e-2)
            }.min()!
            worst = max(worst, error)
        }
        XCTAssertLessThan(worst, 2e-2, "\(name): worst relative difference \(worst)", file: file, line: line)
        XCTAssertGreaterThan(analytic.map(abs).max() ?? 0, 1e-4, "\(name) is all zero", file: file, line: line)
    }
}
