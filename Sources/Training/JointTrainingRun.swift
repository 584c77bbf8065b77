import Foundation
import Model

/// A whole `train embed` run on prepared sets: bridge top-T chosen on dev,
/// then epochs of triplets, keeping the epoch with the best dev R@sum (the
/// last one without dev data). Progress goes to stderr, summaries to `log`.
public enum JointTrainingRun {
    public struct Result: Sendable {
        public var epoch: Int
        public var parameters: JointParameters
        public var devMetrics: RetrievalMetrics?
    }

    /// The bridge with the top-T among `candidates` that maximises dev R@sum
    /// of the untrained model; the only candidate when there is one, or
    /// unchanged without dev data.
    public static func selectTopT(_ candidates: [Int], bridge: ZeroShotBridge, dev: PreparedSet?, featureWidth: Int,
                                  log: (String) -> Void) -> ZeroShotBridge {
        var bridge = bridge
        if candidates.count == 1 { bridge.topT = min(candidates[0], bridge.classCount); return bridge }
        guard let dev else { return bridge }
        let untrained = JointParameters(dimension: bridge.dimension, featureWidth: featureWidth)
        var best = (t: bridge.topT, sum: -1.0)
        for t in candidates {
            bridge.topT = min(t, bridge.classCount)
            let m = dev.evaluate(JointModel(parameters: untrained, bridge: bridge, modelID: "bridge"), withProxy: false)
            log("bridge top-\(t) dev: \(m.summary)")
            if m.recallSum > best.sum { best = (bridge.topT, m.recallSum) }
        }
        bridge.topT = best.t
        return bridge
    }

    /// `initial` (a trained pooled model, say) replaces the zero start; a
    /// grid model trains on `train.grid`.
    public static func train(_ train: PreparedSet, dev: PreparedSet?, bridge: ZeroShotBridge,
                             options: JointTrainingOptions, initial: JointParameters? = nil,
                             log: (String) -> Void) -> Result {
        let tfidf = TfIdfModel(documents: train.set.captions)
        let similarity = CaptionSimilarity(captions: train.set.captions, model: tfidf,
                                           neighbourCount: max(options.positivePool, options.visualNeighbours, 1))
        let sampler = TripletSampler(similarity: similarity, captionsOfPhoto: train.captionsOfPhoto,
                                     positivePool: options.positivePool, visualNeighbours: options.visualNeighbours)
        let data = train.trainingData(bridge: bridge)
        let start = initial ?? JointParameters(dimension: bridge.dimension, featureWidth: train.images.featureWidth)
        var trainer = JointTrainer(parameters: start, options: options)
        var rng = SeededGenerator(seed: options.seed)

        func devMetrics(_ p: JointParameters) -> RetrievalMetrics? {
            dev.map { $0.evaluate(JointModel(parameters: p, bridge: bridge, modelID: "dev"), withProxy: false) }
        }
        var best = Result(epoch: 0, parameters: start, devMetrics: devMetrics(start))
        if let m = best.devMetrics { log("epoch 0 (untrained) dev: \(m.summary)") }
        for epoch in stride(from: 1, through: options.epochs, by: 1) {
            let triplets = sampler.epoch(using: &rng)
            trainer.hardNegatives = options.hardNegatives && epoch > options.warmupEpochs
            let progress = ProgressBar(label: "epoch \(epoch)/\(options.epochs)", total: triplets.count)
            let loss = trainer.epoch(triplets, data: data, similarity: similarity) { done, meanLoss in
                progress.advance(by: done, note: "loss " + meanLoss.formatted4)
            }
            progress.finish(note: "loss " + loss.formatted4)
            let metrics = devMetrics(trainer.parameters)
            if let metrics { log("epoch \(epoch) dev: \(metrics.summary)") }
            if metrics == nil || metrics!.recallSum > best.devMetrics!.recallSum {
                best = Result(epoch: epoch, parameters: trainer.parameters, devMetrics: metrics)
            }
        }
        return best
    }
}

extension Float {
    var formatted4: String { String(format: "%.4f", Double(self)) }
}
