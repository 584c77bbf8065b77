import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model train scorer`: the LSTM image–query scorer (Feng & Kim).
struct TrainScorer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "Train the ReLU-LSTM image-query scorer on captioned photos.",
        discussion: """
            Each batch pairs captions with their own photo (label 1) and with another photo (label 0): \
            a joint-space nearest neighbour of the caption with probability --hard-fraction, else a random \
            photo. Binary cross-entropy, Adam with staircase decay, gradient clipping. With dev data the \
            best checkpoint by dev identification accuracy is kept and the weight of the joint-space \
            similarity in the combined score is chosen on dev.
            """)

    @Option(help: "Training captions: COCO-format JSON or Flickr8k token file.")
    var captions: String
    @Option(help: "Folder with the training photos.")
    var images: String
    @Option(help: "Only the training photos listed in this file.")
    var splitList: String?
    @Option(help: "Dev captions (default: the training captions file when --dev-split-list is given).")
    var devCaptions: String?
    @Option(help: "Folder with the dev photos (default: --images).")
    var devImages: String?
    @Option(help: "Dev photos list.")
    var devSplitList: String?

    @Option(help: "Joint model for hard negatives (default: the installed one).")
    var jointModel: String?
    @Option(help: "Share of mismatched pairs drawn from the joint space's nearest photos.")
    var hardFraction: Float = 0.5
    @Option(help: "Decoupled weight decay (AdamW).")
    var weightDecay: Float = 0
    @Option(help: "Training iterations (batches).")
    var iterations = 12000
    @Option(help: "Pairs per batch, half matched and half mismatched.")
    var batchSize = 128
    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3
    @Option(help: "Multiply the learning rate by --decay-rate every this many iterations.")
    var decaySteps = 4096
    @Option(help: "Learning-rate decay factor.")
    var decayRate: Float = 0.96
    @Option(help: "Clip the global gradient norm to this.")
    var clip: Float = 5
    @Option(help: "How many of the joint space's top photos the reranking policy reorders (chosen on dev).")
    var rerankTopK = 10
    @Option(help: "LSTM hidden size.")
    var hidden = 256
    @Option(help: "Evaluate on dev every this many iterations.")
    var evalEvery = 1000
    @Option(help: "Random seed (initialisation and batches).")
    var seed: UInt64 = 1
    @Option(help: "Model id stored in the file.")
    var modelID: String?
    @Option(help: "Output model file.")
    var out: String

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        guard iterations > 0, batchSize >= 2, lr > 0, hidden > 0, evalEvery > 0, decaySteps > 0, rerankTopK > 0 else {
            throw ValidationError("need positive --iterations, --lr, --hidden, --eval-every, --decay-steps and --batch-size ≥ 2")
        }
        guard (0...1).contains(hardFraction) else { throw ValidationError("--hard-fraction must be between 0 and 1") }
    }

    func run() throws {
        openblas_set_num_threads(1)
        let networks = try data.networks()
        let words = try WordVectors(directory: data.modelDir)
        let joint = try ScorerCommandSupport.jointModel(path: jointModel, data: data)
        let train = try ScorerCommandSupport.prepare(captions: captions, images: images, splitList: splitList, words: words,
                                                     joint: joint, data: data, networks: networks)
        var dev: PreparedScorerSet?
        if devCaptions != nil || devSplitList != nil {
            dev = try ScorerCommandSupport.prepare(captions: devCaptions ?? captions, images: devImages ?? images,
                                                   splitList: devSplitList, words: words, joint: joint, data: data,
                                                   networks: networks)
        }
        var options = ScorerTrainingOptions()
        options.batchSize = batchSize
        options.learningRate = lr
        options.decaySteps = decaySteps
        options.decayRate = decayRate
        options.clipNorm = clip
        options.weightDecay = weightDecay
        options.hardNegativeFraction = joint == nil ? 0 : hardFraction
        options.seed = seed
        let shape = ScorerShape(featureSize: train.scorer.featureWidth, wordDimension: words.dimension, hiddenSize: hidden)
        var trainer = ScorerTrainer(parameters: ScorerParameters(shape: shape, seed: seed), options: options)

        let devTrials = dev.map { d in
            (random: identificationTrials(d.scorer, hard: false, seed: seed)!,
             hard: identificationTrials(d.scorer, hard: true, seed: seed))
        }
        func devAccuracy(_ p: ScorerParameters) throws -> (random: Double, hard: Double?)? {
            guard let dev, let devTrials else { return nil }
            let scorer = IdentificationScorer(data: dev.scorer, parameters: p, photoEmbeddings: nil, captionEmbeddings: nil,
                                              jointDimension: 0, glove: nil, logits: [])
            let random = try identificationAccuracy(devTrials.random) { try scorer.lstm($0) }
            let hard = try devTrials.hard.map { trials in try identificationAccuracy(trials) { try scorer.lstm($0) } }
            return (random, hard)
        }
        func selectionScore(_ a: (random: Double, hard: Double?)) -> Double { a.random + (a.hard ?? 0) }

        var best: (iteration: Int, parameters: ScorerParameters, accuracy: (random: Double, hard: Double?)?)
            = (0, trainer.parameters, nil)
        let progress = ProgressBar(label: "train scorer", total: iterations)
        var recentLoss: Float = 0, recentCount = 0
        for iteration in 1...iterations {
            let (loss, _) = try trainer.step(train.scorer)
            recentLoss += loss; recentCount += 1
            progress.advance(note: String(format: "loss %.4f lr %.2e", recentLoss / Float(recentCount), trainer.currentLearningRate))
            if iteration % evalEvery == 0 || iteration == iterations {
                let meanLoss = recentLoss / Float(max(recentCount, 1))
                recentLoss = 0; recentCount = 0
                if let accuracy = try devAccuracy(trainer.parameters) {
                    scorerNote(String(format: "iteration %d: train loss %.4f, dev identification %.2f%% random, %@ hard",
                                      iteration, meanLoss, 100 * accuracy.random,
                                      accuracy.hard.map { String(format: "%.2f%%", 100 * $0) } ?? "-"))
                    if best.accuracy == nil || selectionScore(accuracy) > selectionScore(best.accuracy!) {
                        best = (iteration, trainer.parameters, accuracy)
                    }
                } else {
                    scorerNote(String(format: "iteration %d: train loss %.4f", iteration, meanLoss))
                    best = (iteration, trainer.parameters, nil)
                }
            }
        }
        progress.finish()

        // Weight of the joint-space similarity in the combined score, chosen on dev.
        var combineWeight: Float?
        if let dev, let devTrials, dev.photoEmbeddings != nil {
            let scorer = IdentificationScorer(data: dev.scorer, parameters: best.parameters, photoEmbeddings: dev.photoEmbeddings,
                                              captionEmbeddings: dev.captionEmbeddings, jointDimension: joint!.dimension,
                                              glove: nil, logits: [])
            combineWeight = try chooseCombineWeight(scorer, trials: devTrials.random + (devTrials.hard ?? []))
        }

        // Reranking policy on dev: weight of the joint similarity when the LSTM
        // reorders the joint space's top --rerank-top-k; on only if dev R@1 improves.
        var rerank: (policy: RerankPolicy, joint: RetrievalMetrics, reranked: RetrievalMetrics)?
        if let dev, let photos = dev.photoEmbeddings, let texts = dev.captionEmbeddings, let joint {
            let weights: [Float] = [0, 1, 2, 5, 10, 20, 50, 100]
            let ranks = try rerankedRanks(dev.scorer, parameters: best.parameters, photoEmbeddings: photos,
                                          captionEmbeddings: texts, dimension: joint.dimension, topK: rerankTopK, weights: weights)
            let jointMetrics = RetrievalMetrics(ranks: ranks.joint, photos: dev.scorer.photoCount)
            var choice = (weight: weights[0], metrics: RetrievalMetrics(ranks: ranks.reranked[0], photos: dev.scorer.photoCount))
            for (w, weight) in weights.enumerated() {
                let m = RetrievalMetrics(ranks: ranks.reranked[w], photos: dev.scorer.photoCount)
                scorerNote(String(format: "rerank top %d, joint weight %4.0f: dev R@1 %.2f%% R@5 %.2f%% R@10 %.2f%%",
                                  rerankTopK, weight, 100 * m.recallAt1, 100 * m.recallAt5, 100 * m.recallAt10))
                if (m.recallAt1, m.recallAt5) > (choice.metrics.recallAt1, choice.metrics.recallAt5) { choice = (weight, m) }
            }
            scorerNote(String(format: "joint space alone: dev R@1 %.2f%% R@5 %.2f%% R@10 %.2f%%",
                              100 * jointMetrics.recallAt1, 100 * jointMetrics.recallAt5, 100 * jointMetrics.recallAt10))
            rerank = (RerankPolicy(topK: rerankTopK, jointWeight: choice.weight), jointMetrics, choice.metrics)
        }

        var metadata: [String: String] = [
            "kind": "photoq lstm scorer",
            "training_captions": captions, "training_split": splitList ?? "",
            "training_photos": String(train.scorer.photoCount), "training_captions_count": String(train.scorer.queries.count),
            "created": ISO8601DateFormatter().string(from: Date()),
            "backbone": networks.backboneID, "transform": networks.transform.rawValue,
            "joint_model": joint?.modelID ?? "", "hard_fraction": String(options.hardNegativeFraction),
            "iterations": String(iterations), "selected_iteration": String(best.iteration),
            "batch_size": String(batchSize), "learning_rate": String(lr), "decay_steps": String(decaySteps),
            "decay_rate": String(decayRate), "clip": String(clip), "weight_decay": String(weightDecay), "seed": String(seed),
        ]
        if let accuracy = best.accuracy {
            metadata["dev_split"] = devSplitList ?? ""
            metadata["dev_identification_random"] = String(format: "%.4f", accuracy.random)
            if let hard = accuracy.hard { metadata["dev_identification_hard"] = String(format: "%.4f", hard) }
        }
        // For information: the weight best for dev identification (random + hard trials pooled).
        if let combineWeight { metadata["identify_best_joint_weight"] = String(combineWeight) }
        if let rerank {
            metadata["rerank_top_k"] = String(rerank.policy.topK)
            metadata["rerank_joint_weight"] = String(rerank.policy.jointWeight)
            metadata["rerank_enabled"] = String(rerank.reranked.recallAt1 > rerank.joint.recallAt1)
            metadata["dev_joint_recall_at_1"] = String(format: "%.4f", rerank.joint.recallAt1)
            metadata["dev_reranked_recall_at_1"] = String(format: "%.4f", rerank.reranked.recallAt1)
            scorerNote("reranking " + (rerank.reranked.recallAt1 > rerank.joint.recallAt1 ? "on" : "off")
                       + String(format: " by default: dev R@1 %.2f%% reranked vs %.2f%% joint alone",
                                100 * rerank.reranked.recallAt1, 100 * rerank.joint.recallAt1))
        }
        let id = modelID ?? "lstm-scorer-h\(hidden)-it\(best.iteration)-seed\(seed)"
        try best.parameters.save(to: out, modelID: id, vocabularyID: words.vocabularyID, extraMetadata: metadata)
        scorerNote("wrote \(out) (\(id)\(rerank.map { ", combined = LSTM logit + \($0.policy.jointWeight) × joint similarity" } ?? ""))")
    }

    /// The α in logit + α·(θ·φ) with the best dev identification accuracy
    /// (α = 0 is the LSTM alone; the largest α is in effect the joint space alone).
    private func chooseCombineWeight(_ scorer: IdentificationScorer, trials: [IdentificationTrial]) throws -> Float {
        let lstm = try trials.map { try scorer.lstm($0) }
        let joint = trials.map { (scorer.joint($0.caption, $0.photo), scorer.joint($0.caption, $0.distractor)) }
        var best: (weight: Float, accuracy: Double) = (0, -1)
        for weight: Float in [0, 1, 2, 5, 10, 20, 50, 100, 1000] {
            var correct = 0.0
            for (l, j) in zip(lstm, joint) {
                let a = l.0 + weight * j.0, b = l.1 + weight * j.1
                correct += a > b ? 1 : (a == b ? 0.5 : 0)
            }
            let accuracy = correct / Double(max(trials.count, 1))
            scorerNote(String(format: "combine weight %6.0f: dev identification %.2f%%", weight, 100 * accuracy))
            if accuracy > best.accuracy { best = (weight, accuracy) }
        }
        return best.weight
    }
}
