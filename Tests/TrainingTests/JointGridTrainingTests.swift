import Foundation
import XCTest
@testable import Model
@testable import Training

/// Training a grid model: the memory-mapped grid cache and the trainer's
/// grid path (each distinct photo embedded once, gradients summed back).
final class JointGridTrainingTests: XCTestCase {
    let cells = 3

    private func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "photoq-grid-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    /// Per photo `cells` cell features around its pooled feature, in a grid cache file.
    private func gridFile(_ data: JointTrainingData, seed: UInt64) throws -> GridFeatures {
        var rng = SeededGenerator(seed: seed)
        let f = data.featureWidth
        let grids = (0..<data.photoCount).map { photo in
            (0..<(cells * f)).map { i in Float16(data.features[photo * f + i % f] + Float.random(in: -0.5...0.5, using: &rng)) }
        }
        let path = try temporaryDirectory() + "/grid.f16"
        try GridFeatures.write(path: path, photos: (0..<data.photoCount).map { "p\($0).jpg" }, cells: cells,
                               featureWidth: f, grids: grids)
        return try GridFeatures.read(path: path)
    }

    func testGridCacheRoundTripsPrivatelyAndAlignsByName() throws {
        let values: [[Float16]] = [[1, 2, 3, 4, 5, 6], [-1, 0.5, 0.25, 7, 8, 9]]
        let path = try temporaryDirectory() + "/g.f16"
        try GridFeatures.write(path: path, photos: ["a.jpg", "b.jpg"], cells: 2, featureWidth: 3, grids: values)
        for file in [path, path + ".json"] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            XCTAssertEqual(mode, 0o600, file)
        }
        let grids = try GridFeatures.read(path: path)
        XCTAssertEqual(grids.gather([1, 0]), (values[1] + values[0]).map(Float.init))
        let swapped = try grids.aligned(to: ["b.jpg", "a.jpg"])
        XCTAssertEqual(swapped.gather([0]), values[1].map(Float.init))
        XCTAssertThrowsError(try grids.aligned(to: ["c.jpg"]))
        // A truncated file is refused, not read past its end.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 10)
        try handle.close()
        XCTAssertThrowsError(try GridFeatures.read(path: path))
    }

    func testGridTrainerGradientsMatchFiniteDifferences() throws {
        let problem = JointTrainerTests.Synthetic()
        let base = problem.data
        let data = JointTrainingData(features: base.features, bridge: base.bridge, sentences: base.sentences,
                                     captionsOfPhoto: base.captionsOfPhoto, featureWidth: base.featureWidth,
                                     dimension: base.dimension, grid: try gridFile(base, seed: 5))
        var rng = SeededGenerator(seed: 13)  // (seed 9 puts a sort swap within 1e-4 of the start: a kink, not a bug)
        // positivePool 1: d⁺ is q, so the batch repeats photos and the summing-back is exercised.
        let sampler = TripletSampler(similarity: problem.similarity, captionsOfPhoto: data.captionsOfPhoto, positivePool: 1)
        let batch = Array(sampler.epoch(using: &rng).prefix(8))
        var start = JointParameters(dimension: 8, featureWidth: 12).withGridPooling(cells: cells)
        start.imageWeight = start.imageWeight.indices.map { _ in Float.random(in: -0.3...0.3, using: &rng) }
        start.imageBias = start.imageBias.indices.map { _ in Float.random(in: -0.2...0.2, using: &rng) }
        start.gridPooling = (0..<cells).map { _ in Float.random(in: -1...1, using: &rng) }
        for hard in [false, true] {
            var options = JointTrainingOptions()
            options.losses = LossWeights(list: "v=0.5,t1=0.7,t2")!
            options.margin = 0.8
            options.hardNegatives = hard
            let trainer = JointTrainer(parameters: start, options: options)
            let (loss, g) = trainer.lossAndGradients(batch, data: data, similarity: problem.similarity)
            XCTAssertGreaterThan(loss, 0)
            let paths: [(WritableKeyPath<JointParameters, [Float]>, [Float], String)] = [
                (\.imageWeight, g.imageWeight, "dW"), (\.imageBias, g.imageBias, "dc"), (\.gridPooling!, g.gridPooling!, "dθ"),
            ]
            for (path, analytic, name) in paths {
                XCTAssertGreaterThan(analytic.map(abs).max()!, 1e-5, name)
                var worst = 0.0
                var p = start
                for i in stride(from: 0, to: analytic.count, by: max(1, analytic.count / 24)) {
                    // Two step sizes, the better kept: a step can cross a kink (a swap in the
                    // sort, a change of hardest negative), where the difference quotient is off.
                    let errors = [Float(2e-3), 5e-4].map { h -> Double in
                        let saved = p[keyPath: path][i]
                        p[keyPath: path][i] = saved + h
                        let up = Double(JointTrainer(parameters: p, options: options).lossAndGradients(batch, data: data, similarity: problem.similarity).loss)
                        p[keyPath: path][i] = saved - h
                        let down = Double(JointTrainer(parameters: p, options: options).lossAndGradients(batch, data: data, similarity: problem.similarity).loss)
                        p[keyPath: path][i] = saved
                        let numeric = (up - down) / (2 * Double(h))
                        return abs(numeric - Double(analytic[i])) - 0.05 * abs(numeric)
                    }
                    worst = max(worst, errors.min()!)
                }
                XCTAssertLessThan(worst, 2e-3, "\(hard ? "hard " : "")\(name)")
            }
        }
    }

    func testWeightedLossListsParseAndPrintBack() {
        let weights = LossWeights(list: "v=0.2, t1=0.5,t2")
        XCTAssertEqual(weights, LossWeights(visual: 0.2, imageToText: 0.5, textToImage: 1))
        XCTAssertEqual(weights?.description, "v=0.2,t1=0.5,t2")
        XCTAssertEqual(LossWeights(list: weights!.description), weights)
        XCTAssertNil(LossWeights(list: "v=-1,t2"))
        XCTAssertNil(LossWeights(list: "v=abc"))
        XCTAssertNil(LossWeights(list: "v=0"))
    }
}
