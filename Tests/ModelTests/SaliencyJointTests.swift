import XCTest
@testable import Model

/// The joint-space signals on a small synthetic joint model: the gradient
/// against finite differences of θ·φ, EB's shares summing to one.
final class SaliencyJointTests: XCTestCase {
    private let (d, fw, k) = (4, 6, 5)

    private func model(_ random: inout ExcitationTestRandom) -> JointModel {
        var parameters = JointParameters(dimension: d, featureWidth: fw)
        parameters.imageWeight = random.values(d * fw, -1, 1)
        parameters.imageBias = random.values(d, -0.2, 0.2)
        var classText = [Float]()
        for _ in 0..<k { classText += normalizedL2(random.values(d, -1, 1)) }
        let bridge = ZeroShotBridge(classText: classText, classCount: k, dimension: d, topT: 2)
        return JointModel(parameters: parameters, bridge: bridge, modelID: "test")
    }

    func testGradientMatchesFiniteDifferences() throws {
        var random = ExcitationTestRandom(seed: 31)
        let joint = model(&random)
        let classifier = random.values(k * fw, -1, 1)
        let theta = normalizedL2(random.values(d, -1, 1))
        let f = random.values(fw, 0, 2)
        func logits(_ f: [Float]) -> [Float] { matmul(classifier, f, m: k, n: 1, k: fw) }
        func score(_ f: [Float]) -> Float {
            zip(theta, joint.embedImage(feature: f, logits: logits(f))).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let gradient = try Excitation.joint(joint, query: theta, features: f, logits: logits(f),
                                            classifier: classifier, method: .gradient)
        for j in 0..<fw {
            var up = f, down = f
            up[j] += 1e-3
            down[j] -= 1e-3
            XCTAssertEqual(gradient[j], (score(up) - score(down)) / 2e-3, accuracy: 5e-3, "feature \(j)")
        }
    }

    func testExcitationSharesSumToOne() throws {
        var random = ExcitationTestRandom(seed: 32)
        let joint = model(&random)
        let classifier = random.values(k * fw, -1, 1)
        let f = random.values(fw, 0.1, 2)
        let logits = matmul(classifier, f, m: k, n: 1, k: fw)
        for negated in [false, true] {
            let theta = normalizedL2(random.values(d, -1, 1))
            let p = try Excitation.joint(joint, query: theta, features: f, logits: logits,
                                         classifier: classifier, negatedTop: negated)
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertFalse(p.contains { $0 < 0 })
        }
        XCTAssertThrowsError(try Excitation.joint(joint, query: [1], features: f, logits: logits, classifier: classifier))
    }
}
