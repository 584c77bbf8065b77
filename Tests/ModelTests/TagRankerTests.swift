import Foundation
import Model
import ModelFormat
import TestSupport
import XCTest

/// The LSTM tag ranker: BPTT against finite differences, the forward pass
/// against Tests/Reference/tags_ref.py, decoding, and a tiny set it must learn.
final class TagRankerTests: XCTestCase {
    let shape = TagShape(featureSize: 7, inputSize: 5, hiddenSize: 4, tagCount: 6)
    /// A ranker over 3 cells of a head map.
    let gridShape = TagShape(featureSize: 7, inputSize: 5, hiddenSize: 4, tagCount: 6, cells: 3)

    private func randomParameters(_ imageInput: TagImageInput, imageToOutput: Bool = false, directSource: TagDirectSource = .feature,
                                  attention: Bool = false, cells: Int = 1, seed: UInt64, scale: Float = 0.6) -> TagParameters {
        var random = SplitMix64(seed: seed)
        var shape = self.shape
        shape.cells = cells
        var p = TagParameters(zerosLike: shape, imageInput: imageInput, imageToOutput: imageToOutput,
                              directSource: directSource, attention: attention)
        p.tensors = p.tensors.map { t in t.map { _ in random.uniform(-scale, scale) } }
        return p
    }

    func testGradientsImageAtEveryStep() throws {
        try checkGradients(.everyStep, targets: [[2, 0, 5], [1], [], [4, 3]], seed: 31)
    }

    func testGradientsImageAtFirstStepOnly() throws {
        try checkGradients(.firstStep, targets: [[3, 1], [0, 2, 4, 5], [5]], seed: 32)
    }

    func testGradientsWithTheImageAlsoAtTheOutput() throws {
        try checkGradients(.everyStep, imageToOutput: true, targets: [[1, 4, 0], [], [2], [5, 3, 1, 0]], seed: 33)
    }

    func testGradientsWhenEachStepLeavesOutTheTagsListedBefore() throws {
        try checkGradients(.everyStep, imageToOutput: true, excludingListed: true, targets: [[3, 0, 5, 1], [2], [], [4, 1]], seed: 34)
        try checkGradients(.firstStep, excludingListed: true, targets: [[0, 1, 2], [5, 4]], seed: 35)
    }

    func testGradientsWithTargetsSpreadOverTheRemainingTags() throws {
        try checkGradients(.everyStep, imageToOutput: true, excludingListed: true, setSmoothing: 0.3,
                           targets: [[3, 0, 5, 1], [2], [], [4, 1]], seed: 39)
        try checkGradients(.everyStep, setSmoothing: 0.5, targets: [[1, 2, 3], [0, 4]], seed: 48)
    }

    /// The grid-attended ranker: attention over 3 cells, with and without the
    /// direct path (from the projection, or from the pooled head map).
    func testGradientsWithAttentionOverTheGrid() throws {
        try checkGradients(.everyStep, attention: true, cells: 3, targets: [[2, 0, 5], [1], [], [4, 3]], seed: 36)
        try checkGradients(.everyStep, imageToOutput: true, directSource: .projection, attention: true, cells: 3,
                           excludingListed: true, targets: [[3, 0, 5, 1], [2], [4, 1]], seed: 37)
        try checkGradients(.everyStep, imageToOutput: true, attention: true, cells: 3, targets: [[1, 4], [0, 2, 3]], seed: 38)
    }

    /// The small direct path (S reads the 128-d projection), pooled input.
    func testGradientsWithTheDirectPathFromTheProjection() throws {
        try checkGradients(.everyStep, imageToOutput: true, directSource: .projection, targets: [[1, 4, 0], [], [2]], seed: 40)
        // A pooled-input ranker fed 3 cells averages them (no attention).
        try checkGradients(.everyStep, imageToOutput: true, directSource: .projection, cells: 3, targets: [[5, 3], [2]], seed: 44)
    }

    private func checkGradients(_ imageInput: TagImageInput, imageToOutput: Bool = false, directSource: TagDirectSource = .feature,
                                attention: Bool = false, cells: Int = 1, excludingListed: Bool = false,
                                setSmoothing: Float = 0, targets: [[Int]], seed: UInt64) throws {
        var parameters = randomParameters(imageInput, imageToOutput: imageToOutput, directSource: directSource,
                                          attention: attention, cells: cells, seed: seed)
        // Sharper attention scores: D's gradient must stand above the Float rounding of the loss.
        for i in parameters.attentionScore.indices { parameters.attentionScore[i] *= 4 }
        var random = SplitMix64(seed: seed + 100)
        let features = (0..<(targets.count * cells * shape.featureSize)).map { _ in random.uniform(-1.5, 1.5) }
        let steps = targets.map(\.count).max()! + 2  // one step past the longest list carries no loss
        func loss(_ p: TagParameters) throws -> Double {
            let act = try p.forward(features: features, count: targets.count, steps: steps)
            return Double(orderedTagCrossEntropy(logits: act.logits, targets: targets, steps: steps,
                                                 outputSize: shape.outputSize, endToken: shape.endToken,
                                                 excludingListed: excludingListed, setSmoothing: setSmoothing).loss)
        }
        let act = try parameters.forward(features: features, count: targets.count, steps: steps)
        let (_, dLogits) = orderedTagCrossEntropy(logits: act.logits, targets: targets, steps: steps,
                                                  outputSize: shape.outputSize, endToken: shape.endToken,
                                                  excludingListed: excludingListed, setSmoothing: setSmoothing)
        let analytic = parameters.backward(act, dLogits: dLogits).tensors
        // Smooth activations (no ReLU kinks): a wide step beats Float rounding of the loss.
        let epsilon: Float = 1e-2
        XCTAssertEqual(analytic.count, 7 + (imageToOutput ? 1 : 0) + (attention ? 3 : 0))
        for (index, name) in parameters.tensorNames.enumerated() {
            let count = parameters.tensors[index].count
            let entries = count <= 40 ? Array(0..<count) : (0..<40).map { _ in Int(random.next() % UInt64(count)) }
            var numeric: [Double] = [], exact: [Double] = []
            let delta = name.hasPrefix("attention.") ? 6 * epsilon : epsilon
            for entry in entries {
                var plus = parameters, minus = parameters
                plus.tensors[index][entry] += delta
                minus.tensors[index][entry] -= delta
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
        let cases: [(TagImageInput, Bool, TagDirectSource, Bool, Int, UInt64)] = [
            (.everyStep, false, .feature, false, 1, 41), (.firstStep, false, .feature, false, 1, 42),
            (.everyStep, true, .feature, false, 1, 43),
            // Grid-attended, S from the projection and from the pooled grid.
            (.everyStep, true, .projection, true, 4, 45), (.everyStep, true, .feature, true, 4, 46),
            (.firstStep, false, .feature, true, 4, 47)]
        for (imageInput, imageToOutput, directSource, attention, cells, seed) in cases {
            let parameters = randomParameters(imageInput, imageToOutput: imageToOutput, directSource: directSource,
                                              attention: attention, cells: cells, seed: seed, scale: 0.9)
            var random = SplitMix64(seed: seed + 7)
            let b = 3, steps = 5
            let features = (0..<(b * cells * shape.featureSize)).map { _ in random.uniform(-2, 2) }
            let dir = try TestEnvironment.temporaryDirectory(self)
            try TaggerFile(parameters: parameters, tags: (0..<shape.tagCount).map { "tag\($0)" })
                .save(to: dir + "/tagger.safetensors", modelID: "test")
            var writer = WeightFileWriter()
            writer.add("features", shape: cells == 1 ? [b, shape.featureSize] : [b, cells, shape.featureSize], values: features)
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
                                       "\(imageInput) \(imageToOutput) \(directSource) attention \(attention) photo \(s) step \(t) output \(j)")
                    }
                }
            }
        }
    }

    /// Set smoothing (λ = 0.2) by hand: step 0 wants 0.9 on tag 2 (0.8 plus
    /// its half of λ) and 0.1 on tag 1, the tags still to come; step 1 all on
    /// tag 1 (tag 2 is listed); the end step the end token alone.
    func testSetSmoothingSpreadsEachStepsTargetOverTheTagsStillToCome() {
        let v = 4, end = 3
        let logits: [Float] = [2, 0, 1, 0,  0, 1, 3, 0,  0, 0, 5, 1]
        let smoothed = orderedTagCrossEntropy(logits: logits, targets: [[2, 1]], steps: 3, outputSize: v, endToken: end,
                                              excludingListed: true, setSmoothing: 0.2)
        func logp(_ row: [Float], _ j: Int, without: Set<Int>) -> Double {
            let kept = row.indices.filter { !without.contains($0) }
            return Double(row[j]) - log(kept.map { exp(Double(row[$0])) }.reduce(0, +))
        }
        let step0 = -(0.9 * logp([2, 0, 1, 0], 2, without: []) + 0.1 * logp([2, 0, 1, 0], 1, without: []))
        let step1 = -logp([0, 1, 3, 0], 1, without: [2])
        let step2 = -logp([0, 0, 5, 1], 3, without: [2, 1])
        XCTAssertEqual(Double(smoothed.loss), step0 + step1 + step2, accuracy: 1e-5)
        // ∂/∂logit of tag 1 at step 0: p₁ − 0.1.
        XCTAssertEqual(Double(smoothed.dLogits[1]), exp(logp([2, 0, 1, 0], 1, without: [])) - 0.1, accuracy: 1e-6)
        let plain = orderedTagCrossEntropy(logits: logits, targets: [[2, 1]], steps: 3, outputSize: v, endToken: end, excludingListed: true)
        XCTAssertEqual(smoothed.dLogits[8...], plain.dLogits[8...], "the end step is not smoothed")
    }

    /// A half-precision ranker loads as its weights rounded to float16; the
    /// baselines stay float32; weights beyond float16's range are refused.
    func testHalfPrecisionRankerRoundsItsWeightsAndKeepsTheBaselines() throws {
        let path = NSTemporaryDirectory() + "photoq-half-tagger-\(getpid()).safetensors"
        defer { unlink(path) }
        let ranker = randomParameters(.everyStep, imageToOutput: true, seed: 61)
        let naive = randomParameters(.firstStep, seed: 62)
        let names = (0..<shape.tagCount).map { "tag\($0)" }
        try TaggerFile(parameters: ranker, tags: names, naiveRNN: naive).save(to: path, modelID: "half", halfPrecision: true)
        let loaded = try TaggerFile.load(from: path)
        XCTAssertEqual(loaded.metadata["weights"], "float16")
        XCTAssertEqual(loaded.parameters.tensors, ranker.tensors.map { $0.map { Float(Float16($0)) } })
        XCTAssertNotEqual(loaded.parameters.tensors, ranker.tensors, "the rounding happened")
        XCTAssertEqual(loaded.naiveRNN?.tensors, naive.tensors)
        var huge = ranker
        huge.tensors[0][0] = 1e6
        XCTAssertThrowsError(try TaggerFile(parameters: huge, tags: names).save(to: path, modelID: "huge", halfPrecision: true))
    }

    /// Past the end token, `presence` discounts the steps after it (the list
    /// has almost surely ended) where `sum` counts them in full.
    func testPresenceFillDiscountsStepsAfterTheListHasEnded() {
        let steps: [ArraySlice<Float>] = [[3, 0, 1, -9], [0, 0, 0, 8], [0, 5, 0, -9]].map { ArraySlice($0) }
        XCTAssertEqual(TagParameters.rankedTags(stepLogits: steps, k: 3, fill: .presence, tagCount: 3), [0, 2, 1])
        XCTAssertEqual(TagParameters.rankedTags(stepLogits: steps, k: 3, fill: .summedProbability, tagCount: 3), [0, 1, 2])
    }

    /// The Plackett–Luce form by hand: after tag 2 is listed, step 1's
    /// softmax runs over the other outputs only and tag 2 gets no gradient.
    func testLeavingOutListedTagsRenormalisesTheLaterSteps() {
        let v = 4, end = 3
        let logits: [Float] = [2, 0, 1, 0,   // step 0
                               0, 1, 3, 0,   // step 1: tag 2 is already listed
                               0, 0, 5, 1]   // step 2: the end token
        let plain = orderedTagCrossEntropy(logits: logits, targets: [[2, 1]], steps: 3, outputSize: v, endToken: end)
        let listed = orderedTagCrossEntropy(logits: logits, targets: [[2, 1]], steps: 3, outputSize: v, endToken: end,
                                            excludingListed: true)
        func nll(_ row: [Float], _ target: Int, without: Set<Int>) -> Double {
            let kept = row.indices.filter { !without.contains($0) }
            let total = kept.map { exp(Double(row[$0])) }.reduce(0, +)
            return -log(exp(Double(row[target])) / total)
        }
        let expected = nll([2, 0, 1, 0], 2, without: []) + nll([0, 1, 3, 0], 1, without: [2]) + nll([0, 0, 5, 1], 3, without: [2, 1])
        XCTAssertEqual(Double(listed.loss), expected, accuracy: 1e-5)
        XCTAssertGreaterThan(plain.loss, listed.loss + 1, "step 1 and 2 pay for tag 2's high logit only without leaving it out")
        XCTAssertEqual(listed.dLogits[4 + 2], 0)
        XCTAssertEqual(listed.dLogits[8 + 2], 0)
        XCTAssertEqual(listed.dLogits[8 + 1], 0)
        XCTAssertNotEqual(plain.dLogits[4 + 2], 0)
    }

    /// Past the end token: `sum` counts every step, `sum-to-end` only those up
    /// to the end, so a tag that only the untrained steps after it favour
    /// ranks last with `sum-to-end`.
    func testFillsPastTheEndToken() {
        // 4 tags + end (4). Step 0: tag 1; step 1: the end; steps 2-3 favour tag 3.
        let steps: [[Float]] = [[0, 3, 1, 0, 0], [0, 0, 1.5, 0, 4], [0, 0, 0, 9, 0], [0, 0, 0, 9, 0]]
        let rows = steps.map { $0[...] }
        XCTAssertEqual(TagParameters.rankedTags(stepLogits: rows, k: 4, fill: .summedProbability, tagCount: 4), [1, 3, 2, 0])
        XCTAssertEqual(TagParameters.rankedTags(stepLogits: rows, k: 4, fill: .summedUntilEnd, tagCount: 4), [1, 2, 0, 3])
        XCTAssertEqual(TagParameters.rankedTags(stepLogits: rows, k: 2, fill: .summedUntilEnd, tagCount: 4), [1, 2])
    }

    func testSaveLoadRoundTripKeepsBaselines() throws {
        let main = randomParameters(.everyStep, imageToOutput: true, seed: 5), naive = randomParameters(.firstStep, seed: 6)
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
        XCTAssertTrue(loaded.parameters.imageToOutput)
        XCTAssertFalse(loaded.naiveRNN?.imageToOutput ?? true)
    }

    /// The grid-attended ranker with the small direct path comes back as it
    /// went, its baselines (pooled, one cell) beside it; the cutoff travels in
    /// the metadata and `Tagger` reads it.
    func testSaveLoadRoundTripOfTheAttendedRanker() throws {
        let main = randomParameters(.everyStep, imageToOutput: true, directSource: .projection, attention: true, cells: 3, seed: 9)
        let naive = randomParameters(.firstStep, seed: 10)
        let path = try TestEnvironment.temporaryDirectory(self) + "/tagger.safetensors"
        try TaggerFile(parameters: main, tags: (0..<shape.tagCount).map { "t\($0)" }, naiveRNN: naive,
                       metadata: [TaggerFile.cutoffKey: "0.25"]).save(to: path, modelID: "att")
        let loaded = try TaggerFile.load(from: path)
        XCTAssertEqual(loaded.parameters, main)
        XCTAssertEqual(loaded.parameters.shape.cells, 3)
        XCTAssertTrue(loaded.parameters.attention)
        XCTAssertEqual(loaded.parameters.directSource, .projection)
        XCTAssertEqual(loaded.naiveRNN, naive)
        XCTAssertEqual(loaded.naiveRNN?.shape.cells, 1)
        let tagger = try Tagger(file: loaded)
        XCTAssertTrue(tagger.needsGrid)
        XCTAssertEqual(tagger.inputValues, 3 * shape.featureSize)
        XCTAssertEqual(tagger.cutoff, 0.25)
        XCTAssertThrowsError(try tagger.tags(feature: [Float](repeating: 0, count: shape.featureSize)), "a pooled feature for a grid ranker")
        XCTAssertNoThrow(try tagger.tags(feature: [Float](repeating: 0.1, count: 3 * shape.featureSize)))
    }

    /// The cutoff keeps the first tag whatever its score, then stops at the
    /// first tag below it.
    func testCutoffKeepsTheFirstTagAndStopsBelowTheThreshold() throws {
        let list: [(tag: Int, score: Float)] = [(3, 0.1), (1, 0.5), (4, 0.2), (0, 0.6)]
        XCTAssertEqual(Tagger.cut(list, below: 0.3).map(\.tag), [3, 1])
        XCTAssertEqual(Tagger.cut(list, below: 0.05).map(\.tag), [3, 1, 4, 0])
        XCTAssertEqual(Tagger.cut(list, below: 0.9).map(\.tag), [3])
        XCTAssertEqual(Tagger.cut(list, below: nil).map(\.tag), [3, 1, 4, 0])
        // Through a file: output biases make tag 3 > tag 1 > end at every step,
        // the second tag's probability among the rest is e²/(e² + e^1.5 + 4) ≈ 0.466.
        var p = TagParameters(zerosLike: shape)
        p.outputBias[3] = 3; p.outputBias[1] = 2; p.outputBias[shape.endToken] = 1.5
        let dir = try TestEnvironment.temporaryDirectory(self)
        let names = (0..<shape.tagCount).map { "t\($0)" }
        let feature = [Float](repeating: 0, count: shape.featureSize)
        for (cutoff, expected) in [("0.4", ["t3", "t1"]), ("0.5", ["t3"])] {
            try TaggerFile(parameters: p, tags: names, metadata: [TaggerFile.cutoffKey: cutoff]).save(to: dir + "/c.safetensors", modelID: "c")
            XCTAssertEqual(try Tagger(path: dir + "/c.safetensors").tags(feature: feature).map(\.tag), expected, "cutoff \(cutoff)")
        }
    }

    /// A file from before the direct path (no metadata key, no tensor) still
    /// loads as the plain ranker; an unknown value is a clear error.
    func testFileWithoutTheDirectPathLoadsAsThePlainRanker() throws {
        let plain = randomParameters(.everyStep, seed: 8)
        let dir = try TestEnvironment.temporaryDirectory(self)
        try TaggerFile(parameters: plain, tags: (0..<shape.tagCount).map { "t\($0)" }).save(to: dir + "/a.safetensors", modelID: "a")
        let old = try WeightFile(path: dir + "/a.safetensors")
        var meta = old.metadata
        meta["image_to_output"] = nil
        // Nor the keys of the grid-attended ranker: a pooled-feature ranker with S from the feature.
        meta["cells"] = nil; meta["attention"] = nil; meta["direct_source"] = nil
        var writer = WeightFileWriter(metadata: meta)
        for (name, tensorShape) in zip(TagParameters.names, plain.tensorShapes) {
            writer.add(name, shape: tensorShape, values: try old.floats(name, shape: tensorShape).toArray())
        }
        try writer.write(to: dir + "/old.safetensors")
        let loaded = try TaggerFile.load(from: dir + "/old.safetensors")
        XCTAssertEqual(loaded.parameters, plain)
        XCTAssertFalse(try Tagger(file: loaded).needsGrid)
        XCTAssertNil(try Tagger(file: loaded).cutoff)
        meta["image_to_output"] = "maybe"
        var bad = WeightFileWriter(metadata: meta)
        for (name, tensorShape) in zip(TagParameters.names, plain.tensorShapes) {
            bad.add(name, shape: tensorShape, values: try old.floats(name, shape: tensorShape).toArray())
        }
        try bad.write(to: dir + "/bad.safetensors")
        XCTAssertThrowsError(try TaggerFile.load(from: dir + "/bad.safetensors")) { error in
            XCTAssertTrue("\(error)".contains("image_to_output"), "\(error)")
        }
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
        let pooled: [Float] = [1, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 0.5, 0, 0, 0, 1, 0, 0, 0.5]
        let targets = [[0, 2, 4], [1, 0], [3, 4, 1, 2]]
        // The same photos as 2-cell grids whose means are the pooled features.
        var grid: [Float] = []
        for s in 0..<3 {
            let row = pooled[(s * 6)..<((s + 1) * 6)]
            grid += row.enumerated().map { $0.offset % 2 == 0 ? 2 * $0.element : 0 }
            grid += row.enumerated().map { $0.offset % 2 == 0 ? 0 : 2 * $0.element }
        }
        let runs: [(TagImageInput, Bool, TagDirectSource, Bool)] = [(.everyStep, false, .feature, false), (.firstStep, false, .feature, false),
                                                                    (.everyStep, true, .feature, false), (.everyStep, true, .projection, true)]
        for (imageInput, imageToOutput, directSource, attention) in runs {
            let tiny = TagShape(featureSize: 6, inputSize: 8, hiddenSize: 16, tagCount: 5, cells: attention ? 2 : 1)
            let features = attention ? grid : pooled
            var p = TagParameters(shape: tiny, imageInput: imageInput, imageToOutput: imageToOutput, directSource: directSource,
                                  attention: attention, seed: 3)
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
            XCTAssertLessThan(loss, 0.05, "\(imageInput) \(imageToOutput) attention \(attention): loss stays at \(loss)")
            let decoded = try p.decode(features: features, count: 3, maxTags: 5, stopAtEnd: true)
            XCTAssertEqual(decoded.map { $0.map(\.tag) }, targets, "\(imageInput)")
        }
    }
}
