import XCTest
@testable import Model

final class WeightAverageTests: XCTestCase {
    /// Against the average written out step by step in Double: the ramped
    /// decays are 1/10, 2/11, 3/12, … until they reach `decay`.
    func testFollowsTheRampedExponentialAverage() {
        let decay: Float = 0.25
        var average = WeightAverage(initial: [[1, -2], [4]], decay: decay)
        let steps: [[[Float]]] = [[[3, 0], [1]], [[5, 2], [-1]], [[-1, 1], [2]], [[2, 2], [0]]]
        var expected: [Double] = [1, -2, 4]
        for (n, current) in steps.enumerated() {
            average.update(with: current)
            let d = min(Double(decay), Double(1 + n) / Double(10 + n))
            let flat = current.flatMap { $0 }.map(Double.init)
            expected = zip(expected, flat).map { d * $0 + (1 - d) * $1 }
        }
        XCTAssertEqual(average.updates, 4)
        let got = average.tensors.flatMap { $0 }
        for (g, e) in zip(got, expected) { XCTAssertEqual(Double(g), e, accuracy: 1e-6) }
        // By hand for the last weight: decays 0.1, 2/11, then capped at 0.25, 0.25.
        XCTAssertEqual(Double(got[2]), 0.3386363636, accuracy: 1e-6)
    }

    func testAConstantSequenceIsItsOwnAverage() {
        var average = WeightAverage(initial: [[0, 0, 0]], decay: 0.999)
        for _ in 0..<5000 { average.update(with: [[1, 2, 3]]) }
        for (g, e) in zip(average.tensors[0], [Float(1), 2, 3]) { XCTAssertEqual(g, e, accuracy: 1e-2) }
    }
}
