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

    @Option(help: "Losses to train, a subset of v,t1,t2, each optionally weighted (v=0.2,t1=0.5,t2).")
    var losses = "v,t1,t2"
    @Flag(help: "Use the hardest in-batch negatives (VSE++) instead of sampled ones.")
    var hardNegatives = false
    @Option(help: "Epochs with sampled negatives before --hard-negatives starts.")
    var warmupEpochs = 0
    @Flag(help: "Train a grid model: project every cell of the backbone's 7×7 map and pool them with learned sorted pooling.")
    var grid = false
    @Option(help: "Start from this model's weights (a pooled model becomes the grid model's start with --grid).")
    var initModel: String?
    @Option(help: "Adam learning rate of the grid pooling's weights.")
    var poolLr: Float = 1e-2
    @Flag(help: "With --grid: learn only the pooling's weights, keeping the start model's projections.")
    var poolingOnly = false
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
    @Flag(help: "Mark the model to embed each photo with its mirror image's backbone output averaged in (flip test-time augmentation at indexing), while training on the photos' own features. --flip-average trains on averaged features too.")
    var testTimeFlip = false

    @Option(help: "Model id stored in the file.")
    var modelID: String?
    @Option(help: "Output model file.")
    var out: String

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        guard LossWeights(list: losses) != nil else {
            throw ValidationError("--losses must be a non-empty subset of v,t1,t2, each optionally =WEIGHT (≥ 0)")
        }
        guard warmupEpochs >= 0, poolLr > 0 else { throw ValidationError("need --warmup-epochs ≥ 0 and --pool-lr > 0") }
        if poolingOnly && !grid { throw ValidationError("--pooling-only needs --grid") }
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
                                         networks: networks, cache: data.featureCache, threads: data.threads, grid: grid)
        var dev: PreparedSet?
        if set.hasDev {
            dev = try PreparedSet.load(captions: set.devCaptions ?? set.captions, imageDirectory: set.devImages ?? set.images,
                                       splitList: set.devSplitList, networks: networks, cache: data.featureCache,
                                       threads: data.threads, grid: grid)
        }
        stderrLine("train: \(train.set.photos.count) photos, \(train.photoOfCaption.count) captions"
                   + (dev.map { "; dev: \($0.set.photos.count) photos, \($0.photoOfCaption.count) captions" } ?? ""))

        var initial: JointParameters?
        var candidates = topTCandidates
        if let initModel {
            let file = try WeightFile(path: initModel)
            initial = try JointParameters(file: file)
            if initial?.gridPooling != nil && !grid { throw ValidationError("\(initModel) is a grid model: add --grid") }
            // The start model's bridge is part of what it learned.
            if let t = file.metadata["bridge_top_t"].flatMap(Int.init) { candidates = [t] }
        }
        if grid, initial?.gridPooling == nil {
            initial = (initial ?? JointParameters(featureWidth: train.images.featureWidth))
                .withGridPooling(cells: BackboneOutput.gridCells)
        }
        let bridge = JointTrainingRun.selectTopT(candidates, bridge: try ZeroShotBridge(file: bridgeFile), dev: dev,
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
        options.warmupEpochs = warmupEpochs
        options.poolLearningRate = poolLr
        options.poolingOnly = poolingOnly
        options.positivePool = positivePool
        options.visualNeighbours = visualNeighbours
        options.seed = seed

        let best = JointTrainingRun.train(train, dev: dev, bridge: bridge, options: options, initial: initial,
                                          log: stderrLine)

        var metadata: [String: String] = [
            "kind": "photoq joint embedding",
            "model_id": modelID ?? "joint-\(grid ? "grid-" : "")\(options.losses.description.replacingOccurrences(of: ",", with: ""))\(hardNegatives ? "-hard" : "")-e\(best.epoch)",
            "training_captions": TrainingSetOptions.recorded(set.captions), "training_split": TrainingSetOptions.recorded(set.splitList), "training_photos": String(train.set.photos.count),
            "created": ISO8601DateFormatter().string(from: Date()),
            "backbone": networks.backboneID, "sentence_encoder": networks.sentenceEncoderID,
            "transform": networks.transform.rawValue, "bridge_top_t": String(bridge.topT),
            "losses": options.losses.description, "hard_negatives": String(hardNegatives), "epochs": String(epochs),
            "selected_epoch": String(best.epoch), "learning_rate": String(lr), "margin": String(margin),
            "batch_size": String(batchSize), "weight_decay": String(weightDecay), "positive_pool": String(positivePool),
            "visual_neighbours": String(visualNeighbours), "warmup_epochs": String(warmupEpochs),
            "pool_learning_rate": String(poolLr), "pooling_only": String(poolingOnly), "init_model": initModel.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "",
            "seed": String(seed),
        ]
        if data.flipAverage || testTimeFlip { metadata[JointModel.testTimeFlipKey] = "true" }
        metadata.merge(networks.backboneMetadata) { _, new in new }
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
