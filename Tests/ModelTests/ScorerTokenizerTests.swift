import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// Query tokenisation (mirrored by tools/convert/glove.py) and word lookup
/// with explicit out-of-vocabulary reporting.
final class ScorerTokenizerTests: XCTestCase {
    func testSplitsLikeGloVe() {
        XCTAssertEqual(QueryTokenizer.tokenize("The dog's ball"), ["the", "dog", "'s", "ball"])
        XCTAssertEqual(QueryTokenizer.tokenize("It ISN'T red, they're here!"),
                       ["it", "is", "n't", "red", "they", "'re", "here"])
        XCTAssertEqual(QueryTokenizer.tokenize("a t-shirt; 2 kids' toys"), ["a", "t", "shirt", "2", "kids", "toys"])
        XCTAssertEqual(QueryTokenizer.tokenize("rock'n'roll 'quoted' café"), ["rock", "n", "roll", "quoted", "café"])
        XCTAssertEqual(QueryTokenizer.tokenize("dog\u{2019}s"), ["dog", "'s"])
        XCTAssertEqual(QueryTokenizer.tokenize("  ... !! "), [])
    }

    func testEncodeReportsOOVWords() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let words = ["the", "dog", "'s", "on", "grass"]
        var writer = WeightFileWriter(metadata: ["vocabulary_id": "tiny"])
        writer.add("vectors", shape: [5, 3], values: (0..<15).map(Float.init))
        try writer.write(to: dir + "/v.safetensors")
        try (words.joined(separator: "\n") + "\n").write(toFile: dir + "/v.txt", atomically: true, encoding: .utf8)

        let vectors = try WordVectors(vectorsPath: dir + "/v.safetensors", vocabularyPath: dir + "/v.txt")
        XCTAssertEqual(vectors.count, 5)
        XCTAssertEqual(vectors.vocabularyID, "tiny")
        let query = vectors.encode("The dog's frisbee on zorbing grass")
        XCTAssertEqual(query.tokens, ["the", "dog", "'s", "frisbee", "on", "zorbing", "grass"])
        XCTAssertEqual(query.oovWords, ["frisbee", "zorbing"])
        XCTAssertEqual(query.isOOV, [false, false, false, true, false, true, false])
        XCTAssertEqual(Array(query.vectors[3..<6]), [3, 4, 5], "dog is row 1")
        XCTAssertEqual(Array(query.vectors[9..<12]), [0, 0, 0], "OOV rows stay zero for the scorer to fill")

        try "the\ndog\n".write(toFile: dir + "/short.txt", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try WordVectors(vectorsPath: dir + "/v.safetensors", vocabularyPath: dir + "/short.txt")) {
            guard case .badWordVectors = $0 as? ScorerError else { return XCTFail("\($0)") }
        }
    }

    func testInstalledGloVeRowsMatchWords() throws {
        let path = try TestEnvironment.model(ModelPaths.wordVectors)
        let vocabulary = try TestEnvironment.model(ModelPaths.wordVocabulary)
        let vectors = try WordVectors(vectorsPath: path, vocabularyPath: vocabulary)
        XCTAssertGreaterThanOrEqual(vectors.count, 100_000)
        XCTAssertEqual(vectors.dimension, 50)
        XCTAssertEqual(vectors.words.first, "the")
        // Rows must line up with words: "dog" is closer to "puppy" than to unrelated words.
        func cosine(_ a: String, _ b: String) throws -> Float {
            let x = vectors.vector(row: try XCTUnwrap(vectors.row(of: a)))
            let y = vectors.vector(row: try XCTUnwrap(vectors.row(of: b)))
            return dot(Array(x), Array(y)) / (dot(Array(x), Array(x)) * dot(Array(y), Array(y))).squareRoot()
        }
        let puppy = try cosine("dog", "puppy")
        for other in ["parliament", "algebra", "tuesday"] { XCTAssertGreaterThan(puppy, try cosine("dog", other)) }
        XCTAssertEqual(vectors.encode("a dog's frisbee").oovWords, [])
    }
}
