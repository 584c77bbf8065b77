import ArgumentParser
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model train embed`: learns the joint space's W, c, A, d from
/// captioned photos with the ranking losses; picks the epoch by dev R@sum.
struct TrainEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Train the joint visual-text embedding on captioned photos.",
        discussion: """
            φ = normalise(bridge + W f + c) for photos and θ = normalise(s + A s + d) for text start at the \
            zero-shot bridge and MiniLM; training refines them with the triplet losses Lv, Lt1, Lt2. \
            Backbone features and caption embeddings are cached, so a second run does not re-run the networks.
            """)

    @OptionGroup var set: TrainingSetOptions

    @Option(help: "Losses to train, a subset of v,t1,t2.")
    var losses = "v,t1,t2"
    @Flag(help: "Use the hardest in-batch negatives (VSE++) instead of sampled ones.")
    var hardNegatives = false
    @Option(help: "Passes over the training captions.")
    var epochs = 5
    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-4
    @Option(help: "Ranking margin m.")
    var margin: Float = 0.2
    @Option(help: "Triplets per mini-batch.")
    var batchSize = 128
    @Option(help: "Decoupled weight decay.")
    var weightDecay: Float = 0
    @Option(help: "The text losses' d⁺ is drawn from q and its (N−1) most caption-similar photos.")
    var positivePool = 1
    @Option(help: "Lv's d⁺ is drawn from q's N most caption-similar other photos.")
    var visualNeighbours = 3
    @Option(help: "Candidate top-T values for the bridge, chosen on dev (comma-separated).")
    var topT = "1,3,5,10"
    @Option(help: "Random seed (triplets and batches).")
    var seed: UInt64 = 1
    @Option(help: "Model id stored in the file.")
    var modelID: String?
    @Option(help: "Output model file.")
    var out: String

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        guard LossWeights(list: losses) != nil else { throw ValidationError("--losses must be a non-empty subset of v,t1,t2") }
        guard epochs >= 0, batchSize >= 2, lr > 0, margin >= 0, positivePool >= 1, visualNeighbours >= 1 else {
            throw ValidationError("need --epochs ≥ 0, --batch-size ≥ 2, --lr > 0, --margin ≥ 0")
        }
        guard !topTCandidates.isEmpty, topTCandidates.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--top-t must list positive integers, e.g. 1,3,5,10")
        }
    }

    var topTCandidates: [Int] { topT.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let networks = try data.networks()
        let bridgeFile = try data.bridgeFile()
        let train = try PreparedSet.load(captions: set.captions, imageDirectory: set.images, splitList: set.splitList,
                                         networks: networks, cache: data.featureCache, threads: data.threads)
        var dev: PreparedSet?
        if set.hasDev {
            dev = try PreparedSet.load(captions: set.devCaptions ?? set.captions, imageDirectory: set.devImages ?? set.images,
                                       splitList: set.devSplitList, networks: networks, cache: data.featureCache,
                                       threads: data.threads)
        }
        stderrLine("train: \(train.set.photos.count) photos, \(train.photoOfCaption.count) captions"
                   + (dev.map { "; dev: \($0.set.photos.count) photos, \($0.photoOfCaption.count) captions" } ?? ""))

        let bridge = JointTrainingRun.selectTopT(topTCandidates, bridge: try ZeroShotBridge(file: bridgeFile), dev: dev,
                                                 featureWidth: train.images.featureWidth, log: stderrLine)
        stderrLine("bridge top-T = \(bridge.topT)")

        var options = JointTrainingOptions()
        options.losses = LossWeights(list: losses)!
        options.margin = margin
        options.learningRate = lr
        options.weightDecay = weightDecay
        options.batchSize = batchSize
        options.epochs = epochs
        options.hardNegatives = hardNegatives
        options.positivePool = positivePool
        options.visualNeighbours = visualNeighbours
        options.seed = seed

        let best = JointTrainingRun.train(train, dev: dev, bridge: bridge, options: options, log: stderrLine)

        var metadata: [String: String] = [
            "kind": "photoq joint embedding",
            "model_id": modelID ?? "joint-\(options.losses.description.replacingOccurrences(of: ",", with: ""))\(hardNegatives ? "-hard" : "")-e\(best.epoch)",
            "training_captions": TrainingSetOptions.recorded(set.captions), "training_split": TrainingSetOptions.recorded(set.splitList), "training_photos": String(train.set.photos.count),
            "created": ISO8601DateFormatter().string(from: Date()),
            "backbone": networks.backboneID, "sentence_encoder": networks.sentenceEncoderID,
            "transform": networks.transform.rawValue, "bridge_top_t": String(bridge.topT),
            "losses": options.losses.description, "hard_negatives": String(hardNegatives), "epochs": String(epochs),
            "selected_epoch": String(best.epoch), "learning_rate": String(lr), "margin": String(margin),
            "batch_size": String(batchSize), "weight_decay": String(weightDecay), "positive_pool": String(positivePool),
            "visual_neighbours": String(visualNeighbours),
            "seed": String(seed),
        ]
        if let m = best.devMetrics {
            metadata["dev_split"] = TrainingSetOptions.recorded(set.devSplitList)
            metadata["dev_recall_at_1"] = String(format: "%.4f", m.recallAt1)
            metadata["dev_recall_at_5"] = String(format: "%.4f", m.recallAt5)
            metadata["dev_recall_at_10"] = String(format: "%.4f", m.recallAt10)
            metadata["dev_median_rank"] = String(m.medianRank)
        }
        try best.parameters.write(to: out, metadata: metadata)
        stderrLine("wrote \(out) (epoch \(best.epoch)\(best.devMetrics.map { ", dev " + $0.summary } ?? ""))")
    }
}
