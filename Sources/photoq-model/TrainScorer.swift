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

    @OptionGroup var set: TrainingSetOptions

    @Option(help: "Joint model for hard negatives (default: the installed one).")
    var jointModel: String?
    @Option(help: "Share of mismatched pairs drawn from the joint space's nearest photos.")
    var hardFraction: Float = 0.5
    @Option(help: "Hard negatives are drawn from this many of the caption's nearest photos in the joint space.")
    var hardPool = 10
    @Option(help: "Decoupled weight decay (AdamW).")
    var weightDecay: Float = 0
    @Option(help: "Training iterations (batches); 0 with --from only re-chooses the policy.")
    var iterations = 8000
    @Option(help: "Start from these scorer weights instead of a random initialisation.")
    var from: String?
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
    @Flag(help: "Give each word step the region–word alignment of the word with the photo (its best cell's and the whole photo's joint similarity).")
    var wordAlignment = false
    @Option(help: "Weight of the region–word alignment S in the reranking policy (needs --word-alignment).")
    var alignmentWeight: Float = 0
    @Option(help: "Store the photos' cells for the index as int8 coordinates in a basis of this rank, fitted on the training photos' cells (needs --word-alignment; 0: none). The policy is then chosen on cells in that stored form.")
    var cellBasis = 0
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
        guard iterations > 0 || (iterations == 0 && from != nil), batchSize >= 2, lr > 0, hidden > 0, evalEvery > 0, decaySteps > 0, rerankTopK > 0 else {
            throw ValidationError("need positive --iterations (or 0 with --from), --lr, --hidden, --eval-every, --decay-steps and --batch-size ≥ 2")
        }
        guard alignmentWeight >= 0, alignmentWeight.isFinite, cellBasis >= 0 else {
            throw ValidationError("--alignment-weight and --cell-basis must be 0 or more")
        }
        guard wordAlignment || (alignmentWeight == 0 && cellBasis == 0) else {
            throw ValidationError("--alignment-weight and --cell-basis need --word-alignment")
        }
        guard hardPool >= 1 else { throw ValidationError("--hard-pool must be at least 1") }
        guard (0...1).contains(hardFraction) else { throw ValidationError("--hard-fraction must be between 0 and 1") }
    }

    func run() throws {
        openblas_set_num_threads(1)
        let words = try WordVectors(directory: data.modelDir)
        let joint = try ScorerCommandSupport.jointModel(path: jointModel, data: data)
        // The scorer reads the features of the backbone its joint model was trained on.
        let networks = try data.networks(joint: joint)
        let train = try ScorerCommandSupport.prepare(captions: set.captions, images: set.images, splitList: set.splitList, words: words,
                                                     joint: joint, data: data, networks: networks,
                                                     wordAlignment: wordAlignment)
        var dev: PreparedScorerSet?
        if set.hasDev {
            dev = try ScorerCommandSupport.prepare(captions: set.devCaptions ?? set.captions, images: set.devImages ?? set.images,
                                                   splitList: set.devSplitList, words: words, joint: joint, data: data,
                                                   networks: networks, wordAlignment: wordAlignment)
        }
        var options = ScorerTrainingOptions()
        options.batchSize = batchSize
        options.learningRate = lr
        options.decaySteps = decaySteps
        options.decayRate = decayRate
        options.clipNorm = clip
        options.weightDecay = weightDecay
        options.hardNegativeFraction = joint == nil ? 0 : hardFraction
        options.hardNegativePool = hardPool
        options.seed = seed
        let shape = ScorerShape(featureSize: train.scorer.featureWidth, wordDimension: train.scorer.wordInputWidth, hiddenSize: hidden)
        let source = try from.map { try ScorerParameters.load(from: $0) }
        let initial = source?.parameters ?? ScorerParameters(shape: shape, seed: seed)
        guard initial.shape.featureSize == shape.featureSize, initial.shape.wordDimension == shape.wordDimension else {
            throw ValidationError("--from scorer expects features \(initial.shape.featureSize), words \(initial.shape.wordDimension)")
        }
        var trainer = ScorerTrainer(parameters: initial, options: options)

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
            = (0, trainer.parameters, iterations == 0 ? try devAccuracy(trainer.parameters) : nil)
        let progress = ProgressBar(label: "train scorer", total: iterations)
        var recentLoss: Float = 0, recentCount = 0
        for iteration in stride(from: 1, through: iterations, by: 1) {
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

        // Reranking policy: weight chosen on one half of the dev photos, then
        // checked on the other half; on by default only if it helps there.
        var rerank: RerankChoice?
        let basis = try cellBasis == 0 ? nil : fittedBasis(train, dimension: joint!.dimension)
        if let dev, dev.photoEmbeddings != nil, let joint {
            rerank = try chooseRerankPolicy(basis.map { dev.withStoredCells($0) } ?? dev, parameters: best.parameters,
                                            dimension: joint.dimension)
        }

        var metadata: [String: String] = [
            "kind": "photoq lstm scorer",
            "training_captions": TrainingSetOptions.recorded(set.captions), "training_split": TrainingSetOptions.recorded(set.splitList),
            "training_photos": String(train.scorer.photoCount), "training_captions_count": String(train.scorer.queries.count),
            "created": ISO8601DateFormatter().string(from: Date()),
            "backbone": networks.backboneID, "transform": networks.transform.rawValue,
            "joint_model": joint?.modelID ?? "", "hard_fraction": String(options.hardNegativeFraction),
            "hard_pool": String(hardPool), "word_alignment": String(wordAlignment),
            "iterations": String(iterations), "initialised_from": from.map { ($0 as NSString).lastPathComponent } ?? "", "selected_iteration": String(best.iteration),
            "batch_size": String(batchSize), "learning_rate": String(lr), "decay_steps": String(decaySteps),
            "decay_rate": String(decayRate), "clip": String(clip), "weight_decay": String(weightDecay), "seed": String(seed),
        ]
        metadata.merge(networks.backboneMetadata) { _, new in new }
        if let accuracy = best.accuracy {
            metadata["dev_split"] = TrainingSetOptions.recorded(set.devSplitList)
            metadata["dev_identification_random"] = String(format: "%.4f", accuracy.random)
            if let hard = accuracy.hard { metadata["dev_identification_hard"] = String(format: "%.4f", hard) }
        }
        // For information: the weight best for dev identification (random + hard trials pooled).
        if let combineWeight { metadata["identify_best_joint_weight"] = String(combineWeight) }
        if let rerank {
            metadata.merge(rerank.policy.metadata) { _, policy in policy }
            metadata["dev_heldout_joint_recall_at_1"] = String(format: "%.4f", rerank.heldOutJoint.recallAt1)
            metadata["dev_heldout_reranked_recall_at_1"] = String(format: "%.4f", rerank.heldOutReranked.recallAt1)
            scorerNote("reranking " + (rerank.enabled ? "on" : "off")
                       + String(format: " by default: held-out dev half R@1 %.2f%% reranked vs %.2f%% joint alone",
                                100 * rerank.heldOutReranked.recallAt1, 100 * rerank.heldOutJoint.recallAt1))
        }
        // Re-choosing the policy keeps the weights' id; training makes a new one.
        let id = modelID ?? (iterations == 0 ? source?.metadata["model_id"] : nil)
            ?? "lstm-scorer-h\(trainer.parameters.shape.hiddenSize)-it\(best.iteration)-seed\(seed)"
        if let basis { metadata.merge(basis.metadata) { _, basis in basis } }
        try best.parameters.save(to: out, modelID: id, vocabularyID: words.vocabularyID, extraMetadata: metadata,
                                 extraTensors: basis.map { [(CellBasis.tensorName, [$0.rank, $0.dimension], $0.basis)] } ?? [])
        scorerNote("wrote \(out) (\(id)\(rerank.map { ", combined = LSTM logit + \($0.policy.jointWeight) × joint similarity" } ?? ""))")
    }

    /// Tunes the joint weight on the even-numbered dev photos (R@1, then R@5)
    /// and measures it on the odd-numbered ones.
    private func chooseRerankPolicy(_ dev: PreparedScorerSet, parameters: ScorerParameters, dimension d: Int) throws -> RerankChoice {
        let weights: [Float] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
        let n = dev.scorer.photoCount
        let tune = dev.half(photos: Array(stride(from: 0, to: n, by: 2)), dimension: d)
        let heldOut = dev.half(photos: Array(stride(from: 1, to: n, by: 2)), dimension: d)
        let ranks = try rerankedRanks(tune.scorer, parameters: parameters, photoEmbeddings: tune.photoEmbeddings!,
                                      captionEmbeddings: tune.captionEmbeddings!, dimension: d, topK: rerankTopK, weights: weights,
                                      alignmentWeight: alignmentWeight)
        let photos = tune.scorer.photoCount
        var choice = (weight: weights[0], metrics: RetrievalMetrics(ranks: ranks.reranked[0], photos: photos))
        scorerNote(String(format: "tuning half (%d photos), joint alone: R@1 %.2f%% R@5 %.2f%%", photos,
                          100 * RetrievalMetrics(ranks: ranks.joint, photos: photos).recallAt1,
                          100 * RetrievalMetrics(ranks: ranks.joint, photos: photos).recallAt5))
        for (w, weight) in weights.enumerated() {
            let m = RetrievalMetrics(ranks: ranks.reranked[w], photos: photos)
            scorerNote(String(format: "tuning half, top %d reranked, joint weight %4.0f: R@1 %.2f%% R@5 %.2f%%",
                              rerankTopK, weight, 100 * m.recallAt1, 100 * m.recallAt5))
            if (m.recallAt1, m.recallAt5) > (choice.metrics.recallAt1, choice.metrics.recallAt5) { choice = (weight, m) }
        }
        let check = try rerankedRanks(heldOut.scorer, parameters: parameters, photoEmbeddings: heldOut.photoEmbeddings!,
                                      captionEmbeddings: heldOut.captionEmbeddings!, dimension: d, topK: rerankTopK,
                                      weights: [choice.weight], alignmentWeight: alignmentWeight)
        let held = (RetrievalMetrics(ranks: check.joint, photos: heldOut.scorer.photoCount),
                    RetrievalMetrics(ranks: check.reranked[0], photos: heldOut.scorer.photoCount))
        scorerNote(String(format: "held-out half (%d photos): joint R@1 %.2f%% R@5 %.2f%%; reranked (weight %g) R@1 %.2f%% R@5 %.2f%%",
                          heldOut.scorer.photoCount, 100 * held.0.recallAt1, 100 * held.0.recallAt5, Double(choice.weight),
                          100 * held.1.recallAt1, 100 * held.1.recallAt5))
        return RerankChoice(policy: ScorerRerankPolicy(enabled: held.1.recallAt1 > held.0.recallAt1, topK: rerankTopK,
                                                       jointWeight: choice.weight, alignmentWeight: alignmentWeight),
                            heldOutJoint: held.0, heldOutReranked: held.1)
    }

    /// The rank-`cellBasis` basis of the training photos' cells.
    private func fittedBasis(_ train: PreparedScorerSet, dimension d: Int) throws -> CellBasis {
        guard let cells = train.scorer.pairAlignment?.alignment.cells else { throw ValidationError("--cell-basis needs --word-alignment") }
        guard cellBasis <= d else { throw ValidationError("--cell-basis must be at most the joint dimension, \(d)") }
        scorerNote("fitting a rank-\(cellBasis) cell basis on \(cells.count / d) training cells")
        return CellBasis.fit(rows: cells, dimension: d, rank: cellBasis)
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

/// The reranking policy chosen on dev and its figures on the held-out dev half.
struct RerankChoice {
    let policy: ScorerRerankPolicy
    let heldOutJoint: RetrievalMetrics
    let heldOutReranked: RetrievalMetrics
    var enabled: Bool { policy.enabled }
}

extension PreparedScorerSet {
    /// The set with its photos' cells as the index stores them (int8 in `basis`).
    func withStoredCells(_ basis: CellBasis) -> PreparedScorerSet {
        guard let pair = scorer.pairAlignment else { return self }
        let a = pair.alignment
        let stored = RegionWordAlignment(cells: basis.roundTrip(a.cells, int8: true), cellsPerPhoto: a.cellsPerPhoto,
                                         tokens: a.tokens, dimension: a.dimension)
        var copy = self
        copy.scorer.pairAlignment = PairWordAlignment(alignment: stored, ranges: pair.ranges, photoEmbeddings: pair.photoEmbeddings)
        return copy
    }

    /// The subset of `photos` (and their captions), with joint embeddings of dimension d.
    func half(photos: [Int], dimension d: Int) -> PreparedScorerSet {
        let subset = scorer.restricted(toPhotos: photos)
        let chosen = Set(photos)
        let captions = scorer.queries.indices.filter { chosen.contains(scorer.photoOfCaption[$0]) }
        func rows(_ matrix: [Float]?, _ indices: [Int]) -> [Float]? {
            matrix.map { m in indices.flatMap { m[($0 * d)..<(($0 + 1) * d)] } }
        }
        let k = logits.count / max(scorer.photoCount, 1)
        return PreparedScorerSet(scorer: subset, logits: photos.flatMap { logits[($0 * k)..<(($0 + 1) * k)] },
                                 photoEmbeddings: rows(photoEmbeddings, photos), captionEmbeddings: rows(captionEmbeddings, captions))
    }
}
