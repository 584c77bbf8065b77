import Foundation
import XCTest
@testable import Model
@testable import Training

final class JointTrainerTests: XCTestCase {
    /// A small synthetic problem: photo i has a hidden unit "meaning" vector;
    /// its captions are noisy copies of it, its feature a fixed random linear
    /// image of it, its bridge vector uninformative.
    struct Synthetic {
        let data: JointTrainingData
        let similarity: CaptionSimilarity
        let captions: [[String]]

        init(photos n: Int = 12, dimension d: Int = 8, featureWidth f: Int = 12, seed: UInt64 = 3) {
            var rng = SeededGenerator(seed: seed)
            func uniform() -> Float { Float.random(in: -1...1, using: &rng) }
            func unit(_ v: [Float]) -> [Float] { let s = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / s } }
            let meaning = (0..<n).map { _ in unit((0..<d).map { _ in uniform() }) }
            let mix = (0..<(f * d)).map { _ in uniform() }
            var features = [Float](), bridge = [Float](), sentences = [Float](), captionsOfPhoto = [[Int]]()
            for i in 0..<n {
                features += (0..<f).map { r in (0..<d).reduce(0) { $0 + mix[r * d + $1] * meaning[i][$1] } + 0.1 * uniform() }
                bridge += unit((0..<d).map { _ in uniform() })
                captionsOfPhoto.append([2 * i, 2 * i + 1])
                for _ in 0..<2 { sentences += unit(meaning[i].map { $0 + 0.3 * uniform() }) }
            }
            data = JointTrainingData(features: features, bridge: bridge, sentences: sentences,
                                     captionsOfPhoto: captionsOfPhoto, featureWidth: f, dimension: d)
            let words = ["dog", "cat", "beach", "grass", "snow", "bike"]
            captions = (0..<n).map { i in ["a \(words[i % 6]) and a \(words[(i / 6) % 6])", "\(words[i % 6]) outside"] }
            similarity = CaptionSimilarity(captions: captions, model: TfIdfModel(documents: captions), neighbourCount: 3)
        }
    }

    func testFullBatchGradientsMatchFiniteDifferencesForEachLossAndHardNegatives() {
        let problem = Synthetic()
        var rng = SeededGenerator(seed: 9)
        let sampler = TripletSampler(similarity: problem.similarity, captionsOfPhoto: problem.data.captionsOfPhoto, positivePool: 3)
        let batch = Array(sampler.epoch(using: &rng).prefix(8))
        var start = JointParameters(dimension: 8, featureWidth: 12)
        start.imageWeight = start.imageWeight.indices.map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        start.textWeight = start.textWeight.indices.map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        start.imageBias = start.imageBias.indices.map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        start.textBias = start.textBias.indices.map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        let settings: [(String, Bool)] = [("v", false), ("t1", false), ("t2", false), ("v,t1,t2", false), ("v,t1,t2", true)]
        for (losses, hard) in settings {
            var options = JointTrainingOptions()
            options.losses = LossWeights(list: losses)!
            options.margin = 0.8
            options.hardNegatives = hard
            var trainer = JointTrainer(parameters: start, options: options)
            let (loss, g) = trainer.lossAndGradients(batch, data: problem.data, similarity: problem.similarity)
            XCTAssertGreaterThan(loss, 0, losses)
            let paths: [(WritableKeyPath<JointParameters, [Float]>, [Float], String)] = [
                (\.imageWeight, g.imageWeight, "dW"), (\.imageBias, g.imageBias, "dc"),
                (\.textWeight, g.textWeight, "dA"), (\.textBias, g.textBias, "dd"),
            ]
            for (path, analytic, name) in paths {
                var worst = 0.0
                var p = start
                for i in stride(from: 0, to: analytic.count, by: max(1, analytic.count / 24)) {
                    let saved = p[keyPath: path][i], h: Float = 5e-3
                    p[keyPath: path][i] = saved + h
                    let up = Double(trainer.with(p).lossAndGradients(batch, data: problem.data, similarity: problem.similarity).loss)
                    p[keyPath: path][i] = saved - h
                    let down = Double(trainer.with(p).lossAndGradients(batch, data: problem.data, similarity: problem.similarity).loss)
                    p[keyPath: path][i] = saved
                    let numeric = (up - down) / (2 * Double(h))
                    worst = max(worst, abs(numeric - Double(analytic[i])) - 0.05 * abs(numeric))
                }
                XCTAssertLessThan(worst, 2e-3, "\(losses)\(hard ? " hard" : ""): \(name)")
            }
            trainer.step(batch, data: problem.data, similarity: problem.similarity)
        }
    }

    func testTinyTrainingRunDecreasesTheLossAndIsDeterministic() {
        let problem = Synthetic(photos: 24)
        var options = JointTrainingOptions()
        options.learningRate = 1e-2
        options.batchSize = 16
        func train(seed: UInt64) -> (before: Float, after: Float, parameters: JointParameters) {
            var rng = SeededGenerator(seed: seed)
            let sampler = TripletSampler(similarity: problem.similarity, captionsOfPhoto: problem.data.captionsOfPhoto,
                                         positivePool: 2)
            let fixed = sampler.epoch(using: &rng)
            var trainer = JointTrainer(parameters: JointParameters(dimension: 8, featureWidth: 12), options: options)
            let before = trainer.lossAndGradients(fixed, data: problem.data, similarity: problem.similarity).loss
            for _ in 0..<30 { _ = trainer.epoch(sampler.epoch(using: &rng), data: problem.data, similarity: problem.similarity) }
            let after = trainer.lossAndGradients(fixed, data: problem.data, similarity: problem.similarity).loss
            return (before, after, trainer.parameters)
        }
        let run = train(seed: 5)
        XCTAssertLessThan(run.after, 0.5 * run.before, "loss \(run.before) → \(run.after)")
        XCTAssertEqual(train(seed: 5).parameters, run.parameters, "same seed, same model")
        XCTAssertNotEqual(train(seed: 6).parameters, run.parameters)
    }

    func testSamplerDrawsPositivesFromTheSimilarPoolAndLessSimilarNegatives() {
        let problem = Synthetic()
        var rng = SeededGenerator(seed: 1)
        let sampler = TripletSampler(similarity: problem.similarity, captionsOfPhoto: problem.data.captionsOfPhoto, positivePool: 3)
        let triplets = sampler.epoch(using: &rng)
        XCTAssertEqual(triplets.count, problem.data.captionCount)
        XCTAssertEqual(Set(triplets.map(\.queryCaption)).count, problem.data.captionCount, "every caption is a query once")
        for t in triplets {
            XCTAssertTrue(([t.query] + problem.similarity.neighbours[t.query].prefix(2)).contains(t.positive))
            XCTAssertTrue(problem.similarity.neighbours[t.query].prefix(3).contains(t.visualPositive))
            XCTAssertNotEqual(t.negative, t.query)
            XCTAssertLessThanOrEqual(problem.similarity.similarity(t.query, t.negative), problem.similarity.similarity(t.query, t.positive))
            XCTAssertTrue(problem.data.captionsOfPhoto[t.positive].contains(t.positiveCaption))
            XCTAssertTrue(problem.data.captionsOfPhoto[t.negative].contains(t.negativeCaption))
        }
    }

    func testLossListParsing() {
        XCTAssertEqual(LossWeights(list: "v,t2"), LossWeights(visual: 1, imageToText: 0, textToImage: 1))
        XCTAssertNil(LossWeights(list: "v,x"))
        XCTAssertNil(LossWeights(list: ""))
        XCTAssertEqual(LossWeights.all.description, "v,t1,t2")
    }
}

extension JointTrainer {
    /// The same trainer at other parameters (for finite differences).
    func with(_ parameters: JointParameters) -> JointTrainer { JointTrainer(parameters: parameters, options: options) }
}
