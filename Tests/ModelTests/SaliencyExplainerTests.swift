import Imaging
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The whole chain for the LSTM scorer: score → LSTM through time → image
/// projection → EfficientNet down to the 14×14 map, on real weights (the
/// scorer freshly initialised, so its cell-input bias is zero and nothing is
/// dropped inside the LSTM).
final class SaliencyExplainerTests: XCTestCase {
    func testScorerWordSharesAndImageShareSumToOne() throws {
        let backbone = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model("efficientnet-lite0.safetensors")))
        let words = try WordVectors(vectorsPath: TestEnvironment.model("glove-50d.safetensors"),
                                    vocabularyPath: TestEnvironment.model("glove-vocab.txt"))
        let parameters = ScorerParameters(shape: ScorerShape(wordDimension: words.dimension), seed: 9)
        let explainer = try Explainer(backbone: backbone, target: .scorer(parameters, words))
        let input = try ImageLoader.loadNetworkInput(path: TestEnvironment.data("samples/dog.jpg"))
        let pass = try explainer.forward(input: input)
        for method in [ExplanationMethod.eb, .cmwp, .gradient] {
            let explanation = try explainer.explain(pass, query: "a dog on the porch", method: method)
            XCTAssertEqual(explanation.words, ["a", "dog", "on", "the", "porch"], "\(method)")
            XCTAssertEqual(explanation.wordScores.count, 5)
            XCTAssertEqual(explanation.map.width, 14)
            XCTAssertEqual(explanation.map.height, 14)
            XCTAssertGreaterThan(explanation.map.values.max() ?? 0, 0, "\(method)")
            if method == .eb {
                let image = try XCTUnwrap(explanation.imageShare)
                XCTAssertEqual(explanation.wordScores.reduce(0, +) + image, 1, accuracy: 1e-4)
                // Below the projection only bias-lit units keep a share.
                XCTAssertLessThanOrEqual(explanation.map.total, image + 1e-4)
            }
        }
    }

    func testEmptyQueryIsAnError() throws {
        let backbone = try EfficientNetLite(weights: WeightFile(path: TestEnvironment.model("efficientnet-lite0.safetensors")))
        let words = try WordVectors(vectorsPath: TestEnvironment.model("glove-50d.safetensors"),
                                    vocabularyPath: TestEnvironment.model("glove-vocab.txt"))
        let parameters = ScorerParameters(shape: ScorerShape(wordDimension: words.dimension), seed: 9)
        let explainer = try Explainer(backbone: backbone, target: .scorer(parameters, words))
        let input = [Float](repeating: 100, count: EfficientNetLite.gridInputCount)
        XCTAssertThrowsError(try explainer.explain(input: input, query: "  ", method: .eb)) {
            XCTAssertEqual(($0 as? SaliencyError)?.code, .emptyInput)
        }
    }
}
