import XCTest
@testable import Model

/// Text-conditioned Grad-CAM: the analytic gradient of θ·φ against finite
/// differences, at the pooled feature and at the head map, and the map's rule.
final class GradCAMTests: XCTestCase {
    private let (d, c, k, side) = (4, 6, 5, 2)

    private func model(_ random: inout ExcitationTestRandom) -> JointModel {
        var parameters = JointParameters(dimension: d, featureWidth: c)
        parameters.imageWeight = random.values(d * c, -1, 1)
        parameters.imageBias = random.values(d, -0.2, 0.2)
        var classText = [Float]()
        for _ in 0..<k { classText += normalizedL2(random.values(d, -1, 1)) }
        let bridge = ZeroShotBridge(classText: classText, classCount: k, dimension: d, topT: 2)
        return JointModel(parameters: parameters, bridge: bridge, modelID: "test")
    }

    func testHeadGradientMatchesFiniteDifferences() throws {
        var random = ExcitationTestRandom(seed: 51)
        let joint = model(&random)
        let classifier = random.values(k * c, -1, 1)
        let theta = normalizedL2(random.values(d, -1, 1))
        let r = side * side
        let head = random.values(c * r, 0, 2)
        func pooled(_ a: [Float]) -> [Float] { (0..<c).map { ch in a[(ch * r)..<((ch + 1) * r)].reduce(0, +) / Float(r) } }
        // z = b(l) + W f + c before normalisation; the cosine θ·z/‖z‖ and the logit θ·z.
        func z(_ a: [Float]) -> [Float] {
            let f = pooled(a)
            let b = joint.bridge.forward(logits: matmul(classifier, f, m: k, n: 1, k: c), batch: 1)
            let wf = matmul(joint.parameters.imageWeight, f, m: d, n: 1, k: c)
            return (0..<d).map { b[$0] + wf[$0] + joint.parameters.imageBias[$0] }
        }
        func score(_ a: [Float], normalised: Bool) -> Float {
            let v = z(a), dotted = zip(theta, v).reduce(0) { $0 + $1.0 * $1.1 }
            return normalised ? dotted / v.reduce(0) { $0 + $1 * $1 }.squareRoot() : dotted
        }
        let f = pooled(head)
        let logits = matmul(classifier, f, m: k, n: 1, k: c)
        for normalised in [true, false] {
            let (s, df) = try Excitation.jointScoreGradient(joint, query: theta, features: f, logits: logits,
                                                            classifier: classifier, normalised: normalised)
            XCTAssertEqual(s, score(head, normalised: normalised), accuracy: 1e-4)
            let gradient = try Excitation.jointGradientAtHead(joint, query: theta, head: head, cells: r, logits: logits,
                                                              classifier: classifier, normalised: normalised)
            let step: Float = 1e-3
            for i in 0..<(c * r) {
                var up = head, down = head
                up[i] += step
                down[i] -= step
                let numeric = (score(up, normalised: normalised) - score(down, normalised: normalised)) / (2 * step)
                XCTAssertEqual(gradient[i], numeric, accuracy: 3e-3, "head value \(i), normalised \(normalised)")
            }
            XCTAssertEqual(df[0] / Float(r), gradient[0], accuracy: 1e-6)
            XCTAssertTrue(gradient.contains { abs($0) > 1e-2 }, "a gradient that can fail the comparison")
        }
        // The cosine agrees with the model's own φ.
        let phi = joint.embedImage(feature: f, logits: logits)
        XCTAssertEqual(score(head, normalised: true), zip(theta, phi).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-5)
    }

    func testMapIsTheReLUOfTheGradientWeightedChannels() throws {
        // Two channels over two cells: α = (1, −2), A = [[1, 3], [1, 0]] → ReLU(1−2, 3) = (0, 3).
        let gradient: [Float] = [1, 1, -2, -2], head: [Float] = [1, 3, 1, 0]
        let map = try Excitation.gradCAM(gradient: gradient, head: head, channels: 2, height: 1, width: 2)
        XCTAssertEqual(map.values, [0, 3])
        XCTAssertThrowsError(try Excitation.gradCAM(gradient: [1], head: head, channels: 2, height: 1, width: 2))
    }
}
