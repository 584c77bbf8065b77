import XCTest
@testable import Model

final class AdamTests: XCTestCase {
    /// Minimises a convex quadratic with distinct curvatures per coordinate;
    /// Adam must reach the known minimum.
    func testAdamFindsTheMinimumOfAQuadratic() {
        let target: [Float] = [3, -2, 0.5, 10]
        let curvature: [Float] = [1, 10, 0.1, 3]
        var x = [Float](repeating: 0, count: 4)
        var adam = Adam(count: 4, learningRate: 0.1)
        for _ in 0..<3000 {
            let grad = (0..<4).map { curvature[$0] * (x[$0] - target[$0]) }
            adam.update(&x, gradients: grad)
        }
        for i in 0..<4 { XCTAssertEqual(x[i], target[i], accuracy: 1e-2) }
    }

    func testFirstStepMovesEachParameterByTheLearningRate() {
        // With bias correction, the first step is lr * sign(g) for any |g| ≫ ε.
        var x: [Float] = [1, 1, 1]
        var adam = Adam(count: 3, learningRate: 0.01)
        adam.update(&x, gradients: [5, -0.3, 1e-2])
        XCTAssertEqual(x[0], 0.99, accuracy: 1e-5)
        XCTAssertEqual(x[1], 1.01, accuracy: 1e-5)
        XCTAssertEqual(x[2], 0.99, accuracy: 1e-4)
    }

    func testClippingScalesToTheMaximumNorm() {
        var grads: [[Float]] = [[3, 0], [0, 4]]
        let norm = clipGradients(&grads, maxNorm: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-6)
        XCTAssertEqual(grads[0][0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(grads[1][1], 0.8, accuracy: 1e-6)
        var small: [[Float]] = [[0.1]]
        clipGradients(&small, maxNorm: 1)
        XCTAssertEqual(small[0][0], 0.1)
    }
}
