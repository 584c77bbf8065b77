import Foundation
import XCTest
import Imaging
import Index
import Model
import ModelFormat
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// The real reranker over the installed networks: ingest stores each
/// photo's cells (from the flip-averaged head map, int8 in the reranker's
/// basis) and a query's combined scores equal the float path that training
/// and `eval retrieval` use, computed here apart from the daemon. photoqd
/// then reranks `photoq` searches by default, and `--no-rerank` skips it.
final class AlignmentRerankerTests: XCTestCase {
    /// A model folder with the installed networks and a seeded reranker whose
    /// negative joint weight (never chosen in training) is sure to reorder.
    private func modelDirectory() throws -> (dir: String, scorer: ScorerParameters, basis: CellBasis, policy: ScorerRerankPolicy) {
        try DaemonProcess.requireModels()
        let installed = TestEnvironment.modelDirectory
        guard FileManager.default.fileExists(atPath: installed + "/" + JointModelFiles.joint) else {
            throw XCTSkip("no trained joint model installed")
        }
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqrr")
        for name in try FileManager.default.contentsOfDirectory(atPath: installed) where name != ScorerParameters.rerankerFileName {
            try FileManager.default.createSymbolicLink(atPath: dir + "/" + name, withDestinationPath: installed + "/" + name)
        }
        let joint = try JointModel(weights: try WeightFile(path: dir + "/" + JointModelFiles.joint),
                                   bridge: try WeightFile(path: dir + "/" + JointModelFiles.bridge))
        let words = try WordVectors(directory: dir)
        var random = SplitMix64(seed: 9)
        let basis = CellBasis.fit(rows: (0..<(64 * joint.dimension)).map { _ in random.uniform(-1, 1) },
                                  dimension: joint.dimension, rank: 32, iterations: 2)
        let scorer = ScorerParameters(shape: ScorerShape(featureSize: EfficientNetLite.featureCount,
                                                         wordDimension: words.dimension + WordAlignmentInputs.count,
                                                         hiddenSize: 16), seed: 4)
        let policy = ScorerRerankPolicy(enabled: true, topK: 4, jointWeight: -50, alignmentWeight: 20)
        var metadata = policy.metadata.merging(basis.metadata) { a, _ in a }
        metadata["word_alignment"] = "true"
        metadata["joint_model"] = joint.modelID
        try scorer.save(to: dir + "/" + ScorerParameters.rerankerFileName, modelID: "test-reranker", vocabularyID: words.vocabularyID,
                        extraMetadata: metadata, extraTensors: [(CellBasis.tensorName, [basis.rank, basis.dimension], basis.basis)])
        return (dir, scorer, basis, policy)
    }

    func testStoredCellsAndQueryScoresMatchTheFloatPath() throws {
        let (dir, scorer, basis, policy) = try modelDirectory()
        let embedder = try ModelEmbedder(modelDirectory: dir, threads: 1)
        let reranker = try XCTUnwrap(embedder.reranker)
        XCTAssertTrue(embedder.modelID.hasSuffix("+cells:test-reranker@r32"), "a new reranker re-embeds the library: \(embedder.modelID)")
        let photos = Array(try SamplePhotos.samples().prefix(3))
        let embedded = try embedder.embed(imagesAt: photos).map { try $0.get() }
        let records = embedded.enumerated().map { i, e in
            PhotoRecord(id: UInt64(i + 1), path: photos[i], modelID: embedder.modelID, vector: e.vector, feature: e.feature, cells: e.cells)
        }
        let query = "a brown dog runs on the grass"
        let jointScores = try embedded.map { e in zip(try embedder.embedQuery(query), e.vector).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let combined = try XCTUnwrap(try reranker.scores(query: query, candidates: records, jointScores: jointScores))

        // Apart from the daemon: float cells from the flip-averaged head map,
        // as the index gives them back, and the float alignment inputs.
        let network = try EfficientNetLite(modelDirectory: dir)
        let joint = try JointModel(weights: try WeightFile(path: dir + "/" + JointModelFiles.joint),
                                   bridge: try WeightFile(path: dir + "/" + JointModelFiles.bridge))
        let encoder = try SentenceEncoder(modelDirectory: dir)
        let words = try WordVectors(directory: dir)
        let (fc, fcBias) = try network.classifierWeights()
        let glove = words.encode(query)
        let pieces = encoder.tokenize(query).dropFirst().dropLast().map { encoder.tokenString($0) }
        let ranges = WordAlignmentInputs.pieceRanges(words: glove.tokens, pieces: Array(pieces))
        XCTAssertTrue(ranges.allSatisfy { $0 != nil }, "every word of this query is spelled by its pieces")
        let theta = joint.embedTokens(states: encoder.tokenStates(batch: [query])[0])
        let (d, p) = (joint.dimension, theta.count / joint.dimension)
        // One encoder pass serves both stages: the first stage's vector is the plain encoder's,
        // alone and in a batch of queries that arrived together.
        for (a, b) in zip(try embedder.embedQuery(query), joint.embedText(sentenceEmbedding: encoder.encode(query))) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        let others = ["a cat", query, "two people riding horses on a beach at sunset"]
        let batched = try embedder.embedQueries(others)
        for (text, vector) in zip(others, batched) {
            for (a, b) in zip(vector, joint.embedText(sentenceEmbedding: encoder.encode(text))) { XCTAssertEqual(a, b, accuracy: 1e-5, text) }
            let states = encoder.encodeWithTokenStates(batch: others)[others.firstIndex(of: text)!].states
            let alone = encoder.tokenStates(batch: [text])[0]
            XCTAssertEqual(states.count, alone.count, text)
            for (a, b) in zip(states, alone) { XCTAssertEqual(a, b, accuracy: 1e-4, text) }
        }
        for (i, photo) in photos.enumerated() {
            let input = try ImageLoader.loadNetworkInput(path: photo, size: EfficientNetLite.gridInputSize)
            let own = try network.forward(input, batch: 1, keepGrid: true)
            let mirror = try network.forward(mirroredNetworkInput(input, size: EfficientNetLite.gridInputSize), batch: 1, keepGrid: true)
            let grid = try XCTUnwrap(BackboneOutput.averaged(own, mirror: mirror).grid)
            let cellCount = grid.count / EfficientNetLite.featureCount
            var logits = matmul(grid, fc, m: cellCount, n: fcBias.count, k: EfficientNetLite.featureCount, transposeB: true)
            for c in 0..<cellCount { for j in fcBias.indices { logits[c * fcBias.count + j] += fcBias[j] } }
            let cells = basis.roundTrip(joint.cellEmbeddings(grid: grid, cellLogits: logits, cells: cellCount), int8: true)
            XCTAssertEqual(records[i].cells?.rows, 49)
            XCTAssertEqual(records[i].cells?.payloadBytes, 49 * (32 + 4))

            let values = theta.withUnsafeBufferPointer { t in
                cells.withUnsafeBufferPointer { c in
                    records[i].vector.withUnsafeBufferPointer { v in
                        WordAlignmentInputs.values(ranges: ranges, pieces: t.baseAddress!, pieceCount: p, cells: c.baseAddress!,
                                                   cellCount: cellCount, photo: v.baseAddress!, dimension: d)
                    }
                }
            }
            let logit = try records[i].feature.withUnsafeBufferPointer {
                try scorer.score(glove.appending(values, width: WordAlignmentInputs.count), features: $0.baseAddress!, count: 1)[0]
            }
            var alignment: Float = 0
            for piece in 0..<p {
                alignment += (0..<cellCount).map { c in (0..<d).reduce(Float(0)) { $0 + theta[piece * d + $1] * cells[c * d + $1] } }.max()!
            }
            let expected = logit + policy.jointWeight * jointScores[i] + policy.alignmentWeight * alignment / Float(p)
            XCTAssertEqual(combined[i], expected, accuracy: 1e-3 * max(1, abs(expected)), photo)
        }

        // A candidate without cells (indexed before the reranker) declines the reranking.
        var without = records
        without[1].cells = nil
        XCTAssertNil(try reranker.scores(query: query, candidates: without, jointScores: jointScores))
        // So does a query far longer than any caption (each word would cost an LSTM step per candidate).
        let long = Array(repeating: "dog", count: AlignmentReranker.maximumWords + 1).joined(separator: " ")
        XCTAssertNil(try reranker.scores(query: long, candidates: records, jointScores: jointScores))
        XCTAssertNotNil(try reranker.scores(query: "a dog", candidates: records, jointScores: jointScores))
    }

    func testPhotoqReranksByDefaultAndNoRerankSkipsIt() throws {
        let (dir, _, _, _) = try modelDirectory()
        let home = try TestEnvironment.temporaryDirectory(self, prefix: "pqrrd")
        let daemon = try DaemonProcess(self, directory: home)
        daemon.modelDirectory = dir
        try daemon.start()
        let photos = try SamplePhotos.copy(try SamplePhotos.samples(), into: daemon.root)
        try daemon.settle("samples indexed") { $0.indexed == photos.count }

        let query = "a dog on the grass"
        func photoq(_ arguments: [String]) throws -> [String] {
            let r = try TestEnvironment.run(try DaemonProcess.binary("photoq"), ["--socket", daemon.socket, "--min-score", "-1", "-n", "4"] + arguments + [query])
            XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
            return String(decoding: r.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        let joint = try photoq(["--no-rerank"])
        // The expected order from the reranker's own scores of the joint top 4.
        let embedder = try ModelEmbedder(modelDirectory: dir, threads: 1)
        let embedded = try embedder.embed(imagesAt: joint).map { try $0.get() }
        let q = try embedder.embedQuery(query)
        let scores = embedded.map { e in zip(q, e.vector).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let records = embedded.enumerated().map { i, e in
            PhotoRecord(id: UInt64(i + 1), path: joint[i], modelID: embedder.modelID, vector: e.vector, feature: e.feature, cells: e.cells)
        }
        let combined = try XCTUnwrap(try embedder.reranker?.scores(query: query, candidates: records, jointScores: scores))
        let expected = joint.indices.sorted { combined[$0] != combined[$1] ? combined[$0] > combined[$1] : $0 < $1 }.map { joint[$0] }
        XCTAssertNotEqual(expected, joint, "the seeded reranker must change the order, or this test shows nothing")
        XCTAssertEqual(try photoq([]), expected)
    }
}
