import Foundation
import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// Batching, truncation, concurrency and bad input of the sentence encoder.
final class SentenceEncoderTests: XCTestCase {
    private func encoder(maxLength: Int? = nil) throws -> SentenceEncoder {
        let weights = try WeightFile(path: TestEnvironment.model(ModelPaths.sentenceEncoder))
        return try SentenceEncoder(weights: weights, vocabulary: TestEnvironment.model(ModelPaths.sentenceVocabulary),
                                   maxLength: maxLength)
    }

    private func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    func testBatchMatchesOneAtATime() throws {
        let encoder = try encoder()
        let texts = ["a dog", "", "two people walking along a river at sunset with their bikes",
                     "CAFÉ", "a dog", String(repeating: "long sentence ", count: 200)]
        let batch = encoder.encode(batch: texts)
        XCTAssertEqual(batch.count, texts.count)
        for (text, vector) in zip(texts, batch) {
            XCTAssertLessThan(maxDifference(vector, encoder.encode(text)), 1e-5, text)
        }
    }

    func testTokenStatesAreWhatTheEmbeddingIsTheMeanOf() throws {
        let encoder = try encoder()
        let texts = ["a dog's bicycle", "two people walking along a river at sunset"]
        let states = encoder.tokenStates(batch: texts)
        let d = encoder.dimension
        for (text, rows) in zip(texts, states) {
            let n = encoder.tokenize(text).count
            XCTAssertEqual(rows.count, n * d, text)
            var mean = (0..<d).map { j in (0..<n).reduce(Float(0)) { $0 + rows[$1 * d + j] } / Float(n) }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            mean = mean.map { $0 / norm }
            XCTAssertLessThan(maxDifference(mean, encoder.encode(text)), 1e-4, text)
        }
        XCTAssertEqual(encoder.tokenString(encoder.tokenizer.classifierID), "[CLS]")
    }

    func testTruncatesToMaxLength() throws {
        let encoder = try encoder()
        let long = String(repeating: "word ", count: 1000)
        let ids = encoder.tokenize(long)
        XCTAssertEqual(ids.count, 256)
        XCTAssertEqual(ids.first, encoder.tokenizer.classifierID)
        XCTAssertEqual(ids.last, encoder.tokenizer.separatorID)
        // Words past the limit do not change the embedding.
        XCTAssertLessThan(maxDifference(encoder.encode(long), encoder.encode(long + " giraffe zebra")), 1e-6)

        let short = try self.encoder(maxLength: 8)
        XCTAssertEqual(short.tokenize(long).count, 8)
    }

    func testConcurrentCallsAgree() throws {
        let encoder = try encoder()
        let texts = (0..<16).map { "photo number \($0) of a cat on a sofa" }
        let expected = texts.map(encoder.encode)
        let results = ResultBox(count: texts.count)
        DispatchQueue.concurrentPerform(iterations: texts.count) { index in
            results.set(index, encoder.encode(texts[index]))
        }
        for index in texts.indices {
            XCTAssertLessThan(maxDifference(results.values[index], expected[index]), 1e-5, texts[index])
        }
    }

    func testRejectsBadConfiguration() throws {
        let weightsPath = try TestEnvironment.model(ModelPaths.sentenceEncoder)
        let vocabulary = try TestEnvironment.model(ModelPaths.sentenceVocabulary)
        let weights = try WeightFile(path: weightsPath)
        XCTAssertThrowsError(try SentenceEncoder(weights: weights, vocabulary: vocabulary, maxLength: 513)) { error in
            XCTAssertEqual(error as? SentenceEncoderError, .invalidMaxLength(513, limit: 512))
        }
        let directory = try TestEnvironment.temporaryDirectory(self)
        let smallVocabulary = directory + "/vocab.txt"
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n".write(toFile: smallVocabulary, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SentenceEncoder(weights: weights, vocabulary: smallVocabulary)) { error in
            XCTAssertEqual(error as? SentenceEncoderError, .vocabularyMismatch(vocabulary: 5, embeddings: 30522))
        }
    }

    func testRejectsBadTokenIDs() throws {
        let encoder = try encoder()
        for bad in [[[Int]()], [[101, 30522, 102]], [[101, -1, 102]], [Array(repeating: 101, count: 513)]] {
            XCTAssertThrowsError(try encoder.encode(tokenIDs: bad)) { error in
                guard case .invalidTokens = error as? SentenceEncoderError else { return XCTFail("unexpected \(error)") }
            }
        }
        let ids = encoder.tokenize("a cat")
        XCTAssertEqual(try encoder.encode(tokenIDs: [ids]), [encoder.encode("a cat")])
    }
}

/// Results written by concurrent workers, each to its own slot.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [[Float]]
    init(count: Int) { values = Array(repeating: [], count: count) }
    func set(_ index: Int, _ value: [Float]) { lock.lock(); values[index] = value; lock.unlock() }
}
