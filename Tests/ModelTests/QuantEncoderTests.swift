import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The sentence encoder with integer dense layers against float32, on real
/// sentences (skipped without the models unless PHOTOQ_REQUIRE_MODELS=1).
final class QuantEncoderTests: XCTestCase {
    private func encoder(_ precision: TextPrecision, kernel: QuantizedKernel = .automatic) throws -> SentenceEncoder {
        let weights = try WeightFile(path: TestEnvironment.model(ModelPaths.sentenceEncoder))
        let encoder = try SentenceEncoder(weights: weights, vocabulary: TestEnvironment.model(ModelPaths.sentenceVocabulary),
                                          precision: precision)
        guard kernel != .automatic else { return encoder }
        // The same encoder with the portable kernel forced.
        let bert = try BERTEncoder(weights: weights, precision: precision, kernel: kernel)
        return try SentenceEncoder(bert: bert, tokenizer: encoder.tokenizer)
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        let norms = a.reduce(0) { $0 + Double($1) * Double($1) } * b.reduce(0) { $0 + Double($1) * Double($1) }
        return dot / norms.squareRoot()
    }

    func testCloseToFloat32OnRealSentences() throws {
        let quantized = try encoder(.int8), reference = try encoder(.fp32)
        XCTAssertEqual(quantized.precision, .int8)
        let sentences = SentenceEncoderReferenceTests.sentences + [
            "a black dog is running through the grass", "two girls sitting on a bench",
            "a man in a red jacket climbs a rock wall", "children playing in a fountain",
        ]
        let cosines = zip(quantized.encode(batch: sentences), reference.encode(batch: sentences)).map(cosine)
        let mean = cosines.reduce(0, +) / Double(cosines.count)
        XCTAssertGreaterThanOrEqual(mean, 0.995, "mean cosine to float32")
        for (sentence, value) in zip(sentences, cosines) {
            XCTAssertGreaterThanOrEqual(value, 0.98, "cosine to float32 for \(sentence.debugDescription)")
        }
        // Not the float path in disguise.
        XCTAssertLessThan(cosines.min()!, 1 - 1e-7)
    }

    func testPortableKernelGivesTheSameEmbeddings() throws {
        let automatic = try encoder(.int8), portable = try encoder(.int8, kernel: .portable)
        let texts = ["a dog running on the beach", "café Zürich", "two children play football in a park on a sunny day"]
        for (a, b) in zip(automatic.encode(batch: texts), portable.encode(batch: texts)) {
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern))
        }
    }

    func testPrecisionFromEnvironment() throws {
        XCTAssertEqual(try TextPrecision.fromEnvironment([:]), TextPrecision.shipped)
        XCTAssertEqual(try TextPrecision.fromEnvironment(["PHOTOQ_TEXT_PRECISION": "fp32"]), .fp32)
        XCTAssertEqual(try TextPrecision.fromEnvironment(["PHOTOQ_TEXT_PRECISION": "INT8"]), .int8)
        XCTAssertThrowsError(try TextPrecision.fromEnvironment(["PHOTOQ_TEXT_PRECISION": "fp16"])) { error in
            XCTAssertEqual(error as? SentenceEncoderError, .invalidPrecision("fp16"))
            XCTAssertTrue("\(error)".contains("fp32 or int8"), "\(error)")
        }
    }
}
