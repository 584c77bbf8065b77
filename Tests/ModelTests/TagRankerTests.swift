import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// The LSTM tag ranker: BPTT against finite differences, the forward pass
/// against Tests/Reference/tags_ref.py, decoding, and a tiny set it must learn.
final class TagRankerTests: XCTestCase {
    let shape = TagShape(featureSize: 7, inputSize: 5, hiddenSize: 4, tagCount: 6)

    private func randomParameters(_ imageInput: TagImageInput, seed: UInt64, scale: Float = 0.6) -> TagParameters {
        var random = SplitMix64(seed: seed)
        var p = TagParameters(zerosLike: shape, imageInput: imageInput)
        p.tensors = p.tensors.map { t in t.map { _ in random.uniform(-scale, scale) } }
        return p
    }

    func testGradientsImageAtEveryStep() throws {
        try checkGradients(.everyStep, targets: [[2, 0, 5], [1], [], [4, 3]], seed: 31)
    }

    func testGradientsImageAtFirstStepOnly() throws {
        try checkGradients(.firstStep, targets: [[3, 1], [0, 2, 4, 5], [5]], seed: 32)
    }

    private func checkGradients(_ imageInput: TagImageInput, targets: [[Int]], seed: UInt64) throws {
        let parameters = randomParameters(imageInput, seed: seed)
        var random = SplitMix64(seed: seed + 100)
        let features = (0..<(targets.count * shape.featureSize)).map { _ in random.uniform(-1.5, 1.5) }
        let steps = targets.map(\.count).max()! + 2  // one step past the longest list carries no loss
        func loss(_ p: TagParameters) throws -> Double {
            let act = try p.forward(features: features, count: targets.count, steps: steps)
            return Double(orderedTagCrossEntropy(logits: act.logits, targets: targets, steps: steps,
                                                 outputSize: shape.outputSize, endToken: shape.endToken).loss)
        }
        let act = try parameters.forward(features: features, count: targets.count, steps: steps)
        let (_, dLogits) = orderedTagCrossEntropy(logits: act.logits, targets: targets, steps: steps,
                                                  outputSize: shape.outputSize, endToken: shape.endToken)
        let analytic = parameters.backward(act, dLogits: dLogits).tensors
        // Smooth activations (no ReLU kinks): a wide step beats Float rounding of the loss.
        let epsilon: Float = 1e-2
        for (index, name) in TagParameters.names.enumerated() {
            let count = parameters.tensors[index].count
            let entries = count <= 40 ? Array(0..<count) : (0..<40).map { _ in Int(random.next() % UInt64(count)) }
            var numeric: [Double] = [], exact: [Double] = []
            for entry in entries {
                var plus = parameters, minus = parameters
                plus.tensors[index][entry] += epsilon
                minus.tensors[index][entry] -= epsilon
                let step = Double(plus.tensors[index][entry] - minus.tensors[index][entry])
                numeric.append((try loss(plus) - loss(minus)) / step)
                exact.append(Double(analytic[index][entry]))
            }
            let difference = zip(numeric, exact).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            let scale = max(numeric.map { $0 * $0 }.reduce(0, +).squareRoot(), exact.map { $0 * $0 }.reduce(0, +).squareRoot())
            XCTAssertGreaterThan(scale, 1e-4, "\(name): gradient vanishes, the check would be empty")
            XCTAssertLessThan(difference / max(scale, 1e-12), 1e-2, "\(name): BPTT \(exact.prefix(4)) vs numeric \(numeric.prefix(4))")
        }
    }

    func testForwardMatchesNumPyReference() throws {
        for (imageInput, seed) in [(TagImageInput.everyStep, UInt64(41)), (.firstStep, 42)] {
            let parameters = randomParameters(imageInput, seed: seed, scale: 0.9)
            var random = SplitMix64(seed: seed + 7)
            let b = 3, steps = 5
            let features = (0..<(b * shape.featureSize)).map { _ in random.uniform(-2, 2) }
            let dir = try TestEnvironment.temporaryDirectory(self)
            try TaggerFile(parameters: parameters, tags: (0..<shape.tagCount).map { "tag\($0)" })
                .save(to: dir + "/tagger.safetensors", modelID: "test")
            var writer = WeightFileWriter()
            writer.add("features", shape: [b, shape.featureSize], values: features)
            try writer.write(to: dir + "/features.safetensors")
            let output = try TestEnvironment.runReference("tags_ref.py", [dir + "/tagger.safetensors", dir + "/features.safetensors", "\(steps)"])
            struct Reference: Decodable { let probabilities: [[[Double]]] }
            let reference = try JSONDecoder().decode(Reference.self, from: output)
            let act = try parameters.forward(features: features, count: b, steps: steps)
            let v = shape.outputSize
            for s in 0..<b {
                for t in 0..<steps {
                    let row = (t * b + s) * v
                    let p = softmax(act.logits[row..<(row + v)])
                    for j in 0..<v {
                        XCTAssertEqual(Double(p[j]), reference.probabilities[s][t][j], accuracy: 1e-5,
                                       "\(imageInput) photo \(s) step \(t) output \(j)")
                    }
                }
            }
        }
    }

    func testSaveLoadRoundTripKeepsBaselines() throws {
        let main = randomParameters(.everyStep, seed: 5), naive = randomParameters(.firstStep, seed: 6)
        var linear = TagLinearClassifier(featureSize: shape.featureSize, tagCount: shape.tagCount)
        linear.weight = linear.weight.indices.map { Float($0) / 10 }
        let path = try TestEnvironment.temporaryDirectory(self) + "/tagger.safetensors"
        let names = ["dog", "man", "ball", "grass", "t-shirt", "beach"]
        try TaggerFile(parameters: main, tags: names, naiveRNN: naive, linear: linear).save(to: path, modelID: "rt")
        let loaded = try TaggerFile.load(from: path)
        XCTAssertEqual(loaded.parameters, main)
        XCTAssertEqual(loaded.naiveRNN, naive)
        XCTAssertEqual(loaded.linear, linear)
        XCTAssertEqual(loaded.tags, names)
        XCTAssertEqual(loaded.metadata["model_id"], "rt")
    }

    func testDecodingNeverRepeatsAndStopsAtEnd() throws {
        var p = TagParameters(zerosLike: shape)
        // Output biases alone: tag 3 > tag 1 > end > everything else, at every step.
        p.outputBias[3] = 3; p.outputBias[1] = 2; p.outputBias[shape.endToken] = 1
        let feature = [Float](repeating: 0.1, count: shape.featureSize)
        let stopped = try p.decode(features: feature, count: 1, maxTags: 5, stopAtEnd: true)[0]
        XCTAssertEqual(stopped.map(\.tag), [3, 1])
        let full = try p.decode(features: feature, count: 1, maxTags: 5, stopAtEnd: false)[0]
        XCTAssertEqual(full.count, 5)
        XCTAssertEqual(Set(full.map(\.tag)).count, 5, "a tag came twice")
        XCTAssertFalse(full.contains { $0.tag == shape.endToken })
        let probability = softmax(p.outputBias[...])
        XCTAssertEqual(stopped[0].score, probability[3], accuracy: 1e-6)
    }

    /// Three photos with their own ordered lists: the ranker must learn them
    /// exactly, order and end included (the naive RNN too: its state carries it).
    func testOverfitsTinySet() throws {
        let tiny = TagShape(featureSize: 6, inputSize: 8, hiddenSize: 16, tagCount: 5)
        let features: [Float] = [1, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 0.5]
        let targets = [[0, 2, 4], [1, 0], [3, 4, 1, 2]]
        for imageInput in TagImageInput.allCases {
            var p = TagParameters(shape: tiny, imageInput: imageInput, seed: 3)
            var optimisers = p.tensors.map { Adam(count: $0.count, learningRate: 0.02) }
            let steps = 5
            var loss: Float = 0
            for _ in 0..<400 {
                let act = try p.forward(features: features, count: 3, steps: steps)
                let result = orderedTagCrossEntropy(logits: act.logits, targets: targets, steps: steps,
                                                    outputSize: tiny.outputSize, endToken: tiny.endToken)
                loss = result.loss
                let g = p.backward(act, dLogits: result.dLogits).tensors
                var t = p.tensors
                for i in t.indices { optimisers[i].update(&t[i], gradients: g[i]) }
                p.tensors = t
            }
            XCTAssertLessThan(loss, 0.05, "\(imageInput): loss stays at \(loss)")
            let decoded = try p.decode(features: features, count: 3, maxTags: 5, stopAtEnd: true)
            XCTAssertEqual(decoded.map { $0.map(\.tag) }, targets, "\(imageInput)")
        }
    }
}
