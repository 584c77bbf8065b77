import Foundation
import XCTest
@testable import Model

/// The joint space's new layers on a small synthetic model: the attention
/// over cells and the per-cell grid projection hand on exactly the
/// probability they receive, and the head map's cell totals are the weights.
final class ExcitationCellTests: XCTestCase {
    private let (d, c, k, side) = (4, 6, 5, 3)

    private func model(_ random: inout ExcitationTestRandom) -> JointModel {
        var parameters = JointParameters(dimension: d, featureWidth: c)
        parameters.imageWeight = random.values(d * c, -1, 1)
        parameters.imageBias = random.values(d, -0.2, 0.2)
        var classText = [Float]()
        for _ in 0..<k { classText += normalizedL2(random.values(d, -1, 1)) }
        let bridge = ZeroShotBridge(classText: classText, classCount: k, dimension: d, topT: 2)
        return JointModel(parameters: parameters, bridge: bridge, modelID: "test")
    }

    /// A random model, classifier and head map (values in `headRange`, or all
    /// zero), drawn in that order, and the cells they make.
    private func cells(_ random: inout ExcitationTestRandom, headRange: (Float, Float)?) throws
        -> (joint: JointModel, classifier: [Float], bias: [Float], head: [Float], space: CellSpace) {
        let joint = model(&random)
        let classifier = random.values(k * c, -1, 1), bias = random.values(k, -0.5, 0.5)
        let head = headRange.map { random.values(c * side * side, $0.0, $0.1) } ?? [Float](repeating: 0, count: c * side * side)
        let space = try CellSpace(model: joint, head: head, width: side, height: side,
                                  classifier: classifier, classifierBias: bias)
        return (joint, classifier, bias, head, space)
    }

    func testCellAttentionAndGridProjectionConserve() throws {
        var random = ExcitationTestRandom(seed: 41)
        let (joint, classifier, _, _, space) = try cells(&random, headRange: (0.05, 2))
        for contrast in [false, true] {
            let theta = normalizedL2(random.values(d, -1, 1))
            let baseline = try space.similarities(normalizedL2(random.values(d, -1, 1)))
            let weights = CellWeighting(temperature: 0.1, contrast: contrast).weights(try space.similarities(theta),
                                                                                      baseline: baseline)
            XCTAssertEqual(weights.reduce(0, +), 1, accuracy: 1e-5, "the attention over cells sums to 1")
            let p = try Excitation.cells(joint, query: theta, space: space, weights: weights, classifier: classifier)
            XCTAssertFalse(p.contains { $0 < 0 })
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-4, "the grid projection conserves the total")
            // Each cell hands on exactly its own weight (the 7×7 EB map is the weighting).
            let map = try Excitation.channelSum(p, channels: c, height: side, width: side)
            for r in 0..<(side * side) { XCTAssertEqual(map.values[r], weights[r], accuracy: 1e-5, "cell \(r)") }
        }
    }

    func testCellEmbeddingsAreEachCellEmbeddedAlone() throws {
        var random = ExcitationTestRandom(seed: 42)
        let (joint, classifier, bias, head, space) = try cells(&random, headRange: (0, 2))
        let r = side * side
        for cell in [0, 4, 8] {
            let feature = (0..<c).map { head[$0 * r + cell] }
            var logits = matmul(classifier, feature, m: k, n: 1, k: c)
            for j in 0..<k { logits[j] += bias[j] }
            let alone = joint.embedImage(feature: feature, logits: logits)
            for j in 0..<d { XCTAssertEqual(space.embeddings[cell * d + j], alone[j], accuracy: 1e-5) }
        }
    }

    func testEveryCellWithoutExcitatoryInputDropsItsShare() throws {
        var random = ExcitationTestRandom(seed: 43)
        // Nothing active anywhere.
        let (joint, classifier, _, _, space) = try cells(&random, headRange: nil)
        let weights = [Float](repeating: 1 / Float(side * side), count: side * side)
        let theta = normalizedL2(random.values(d, -1, 1))
        let p = try Excitation.cells(joint, query: theta, space: space, weights: weights, classifier: classifier)
        XCTAssertEqual(p.reduce(0, +), 0, accuracy: 1e-6)
        XCTAssertThrowsError(try Excitation.cells(joint, query: theta, space: space, weights: [1], classifier: classifier))
    }

    func testClassScoreIsTheCellLogitsWeightedByTheQuerysNearestClasses() throws {
        var random = ExcitationTestRandom(seed: 44)
        let (joint, classifier, bias, head, space) = try cells(&random, headRange: (0, 2))
        let theta = normalizedL2(random.values(d, -1, 1))
        let classText = joint.bridge.classText
        // The query's cosine with each class text, and the classes by it.
        let cosines = (0..<k).map { j in (0..<d).reduce(Float(0)) { $0 + classText[j * d + $1] * theta[$1] } }
        let ranked = (0..<k).sorted { cosines[$0] > cosines[$1] }
        let r = side * side
        func cellLogit(_ cell: Int, _ j: Int) -> Float {
            (0..<c).reduce(bias[j]) { $0 + classifier[j * c + $1] * head[$1 * r + cell] }
        }
        for (count, temperature) in [(1, Float(0.05)), (3, 0.1), (k, 0.5)] {
            let weighting = CellWeighting(classCount: count, classTemperature: temperature)
            let scores = try space.scores(theta, weighting: weighting)
            let chosen = ranked.prefix(count)
            let e = chosen.map { Foundation.exp((cosines[$0] - cosines[ranked[0]]) / temperature) }
            let total = e.reduce(0, +)
            for cell in 0..<r {
                let expected = zip(chosen, e).reduce(Float(0)) { $0 + $1.1 / total * cellLogit(cell, $1.0) }
                XCTAssertEqual(scores[cell], expected, accuracy: 1e-4, "\(count) classes at \(temperature), cell \(cell)")
            }
        }
        // One class: exactly the nearest class's activation map.
        let one = try space.scores(theta, weighting: CellWeighting(classCount: 1))
        for cell in 0..<r { XCTAssertEqual(one[cell], cellLogit(cell, ranked[0]), accuracy: 1e-4) }
    }
}
