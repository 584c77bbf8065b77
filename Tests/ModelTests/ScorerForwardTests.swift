import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// The ReLU-LSTM scorer's forward pass against Tests/Reference/lstm_ref.py.
final class ScorerForwardTests: XCTestCase {
    let shape = ScorerShape(featureSize: 9, wordDimension: 6, hiddenSize: 5)

    private func makeBatch(_ random: inout ScorerTestRandom) throws -> (ScorerBatch, [[Float]], [EncodedQuery]) {
        let lengths = [1, 4, 2, 6]
        let oov: [Set<Int>] = [[0], [], [1], [2, 5]]
        let features = lengths.map { _ in random.values(shape.featureSize, scale: 2) }
        let queries = zip(lengths, oov).map { random.query(length: $0, dimension: shape.wordDimension, oov: $1) }
        return (try ScorerBatch(features: features, queries: queries), features, queries)
    }

    func testForwardMatchesNumPyReference() throws {
        var random = ScorerTestRandom(seed: 11)
        let parameters = random.parameters(shape)
        let (batch, _, _) = try makeBatch(&random)
        let act = try parameters.forward(batch)

        let dir = try TestEnvironment.temporaryDirectory(self)
        try parameters.save(to: dir + "/params.safetensors", modelID: "test", vocabularyID: "none")
        var writer = WeightFileWriter()
        let b = batch.count
        writer.add("features", shape: [b, shape.featureSize], values: batch.features)
        writer.add("words", shape: [batch.steps - 1, b, shape.wordDimension], values: batch.words)
        writer.add("oov", shape: [batch.steps - 1, b], int32s: batch.isOOV.map { $0 ? 1 : 0 })
        writer.add("last_step", shape: [b], int32s: batch.lastStep.map(Int32.init))
        try writer.write(to: dir + "/batch.safetensors")

        let output = try TestEnvironment.runReference("lstm_ref.py", [dir + "/params.safetensors", dir + "/batch.safetensors"])
        struct Reference: Decodable { let logits: [Double]; let final_hidden: [[Double]]; let cells: [[[Double]]] }
        let reference = try JSONDecoder().decode(Reference.self, from: output)

        func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-5 * max(1, abs(b)) }
        let h = shape.hiddenSize
        for s in 0..<b {
            XCTAssertTrue(close(act.logits[s], reference.logits[s]), "logit \(s): \(act.logits[s]) vs \(reference.logits[s])")
            for (j, value) in act.finalHidden(s).enumerated() {
                XCTAssertTrue(close(value, reference.final_hidden[s][j]), "h_n[\(s)][\(j)]")
            }
            // The per-sequence trace (what Excitation Backprop reads) carries the same states.
            let trace = act.trace(s)
            XCTAssertEqual(reference.cells[s].count, trace.cells.count)
            for (t, cell) in reference.cells[s].enumerated() {
                for j in 0..<h { XCTAssertTrue(close(trace.cells[t][j], cell[j]), "c[\(t)][\(s)][\(j)]") }
            }
            for j in 0..<h { XCTAssertTrue(close(trace.hidden.last![j], reference.final_hidden[s][j]), "trace h_n") }
        }
        // The random weights must exercise both sides of every ReLU.
        let g = act.gates.enumerated().filter { ($0.offset / h) % 4 == 2 }.map(\.element)
        XCTAssertTrue(g.contains(0) && g.contains { $0 > 0 }, "g gate never clipped or never open")
    }

    func testRerankingPathEqualsBatchedForward() throws {
        var random = ScorerTestRandom(seed: 5)
        let parameters = random.parameters(shape)
        let query = random.query(length: 5, dimension: shape.wordDimension, oov: [3])
        let candidates = (0..<7).map { _ in random.values(shape.featureSize, scale: 2) }
        let scores = try parameters.score(query, features: candidates)
        let act = try parameters.forward(try ScorerBatch(features: candidates, queries: Array(repeating: query, count: 7)))
        XCTAssertEqual(scores.count, 7)
        for (k, score) in scores.enumerated() {
            XCTAssertEqual(score, act.scores[k], accuracy: 1e-5 * max(1, abs(act.scores[k])), "candidate \(k)")
        }
    }

    func testRerankPolicyRoundTrips() throws {
        var random = ScorerTestRandom(seed: 8)
        let parameters = random.parameters(shape)
        let policy = ScorerRerankPolicy(enabled: true, topK: 10, jointWeight: 50)
        let path = try TestEnvironment.temporaryDirectory(self) + "/scorer.safetensors"
        try parameters.save(to: path, modelID: "m", vocabularyID: "v", extraMetadata: policy.metadata)
        XCTAssertEqual(ScorerRerankPolicy(metadata: try ScorerParameters.load(from: path).metadata), policy)
        XCTAssertFalse(ScorerRerankPolicy(metadata: [:]).enabled, "an untuned scorer does not rerank")
        let aligned = ScorerRerankPolicy(enabled: true, topK: 20, jointWeight: 100, alignmentWeight: 50)
        XCTAssertEqual(ScorerRerankPolicy(metadata: aligned.metadata), aligned)
        XCTAssertEqual(ScorerRerankPolicy(metadata: policy.metadata).alignmentWeight, 0)
    }

    func testBadInputsThrow() throws {
        var random = ScorerTestRandom(seed: 2)
        let parameters = random.parameters(shape)
        let query = random.query(length: 2, dimension: shape.wordDimension)
        XCTAssertThrowsError(try parameters.score(query, features: [[1, 2, 3]]))
        let empty = EncodedQuery(tokens: [], vectors: [], isOOV: [], dimension: shape.wordDimension)
        XCTAssertThrowsError(try parameters.score(empty, features: [random.values(shape.featureSize)])) {
            XCTAssertEqual($0 as? ScorerError, .emptyQuery)
        }
        XCTAssertThrowsError(try ScorerBatch(features: [random.values(shape.featureSize)], queries: [query, query]))
        let wide = random.query(length: 2, dimension: shape.wordDimension + 1)
        XCTAssertThrowsError(try parameters.forward(try ScorerBatch(features: [random.values(shape.featureSize)], queries: [wide])))
    }

    func testSaveLoadRoundTrip() throws {
        var random = ScorerTestRandom(seed: 3)
        let parameters = random.parameters(shape)
        let path = try TestEnvironment.temporaryDirectory(self) + "/scorer.safetensors"
        try parameters.save(to: path, modelID: "scorer-test", vocabularyID: "vocab-1")
        let (loaded, metadata) = try ScorerParameters.load(from: path)
        XCTAssertEqual(loaded, parameters)
        XCTAssertEqual(metadata["model_id"], "scorer-test")
        XCTAssertEqual(metadata["vocabulary_id"], "vocab-1")
        XCTAssertEqual(metadata["hidden_size"], "5")
    }
}
