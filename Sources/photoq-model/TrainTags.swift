import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model train tags`: the LSTM that ranks a photo's tags by visual
/// importance (Yan, Wang & Liao), with its two baselines.
struct TrainTags: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags",
        abstract: "Train the LSTM tag ranker (and its baselines) on captioned photos.",
        discussion: """
            The vocabulary is the caption nouns (WordNet) mentioned at least --min-count times in the training \
            captions; each photo's tags are ordered by how many of its captions mention them, then by how early. \
            The projected backbone feature enters the LSTM at every step, a softmax over the tags and an end \
            token at each step, cross-entropy over the ordered list. With dev data the checkpoint with the best \
            NDCG on the even-numbered dev photos is kept (the odd-numbered ones stay held out). With --baselines \
            the naive RNN (image at the first step only) and per-tag logistic regressions are trained the same \
            way and stored in the file for `eval tags`.
            """)

    @OptionGroup var set: TrainingSetOptions

    @Option(help: "Training iterations (batches).")
    var iterations = 3000
    @Option(help: "Photos per batch.")
    var batchSize = 64
    @Option(help: "Adam learning rate.")
    var lr: Float = 1e-3
    @Option(help: "Decoupled weight decay (AdamW).")
    var weightDecay: Float = 0
    @Option(help: "Fraction of the input features dropped in training (every method).")
    var inputDropout: Float = 0
    @Option(help: "Clip the global gradient norm to this.")
    var clip: Float = 5
    @Option(help: "LSTM hidden size.")
    var hidden = 256
    @Option(help: "Size of the projected image the LSTM reads.")
    var inputSize = 128
    @Option(help: "Train on each photo's first this many tags.")
    var maxList = 6
    @Option(help: "Keep nouns mentioned at least this many times in the training captions.")
    var minCount = 15
    @Option(help: "Evaluate on the dev tuning half every this many iterations.")
    var evalEvery = 250
    @Flag(inversion: .prefixedNo, help: "Let the image reach every step's softmax directly as well as through the LSTM.")
    var imageToOutput = false
    @Flag(help: "Each step's softmax leaves out the tags listed before it, as decoding without repeats does (both RNNs).")
    var excludeListed = false
    @Option(help: "Weight of the photo's remaining tags in each step's target (0: the next tag alone); trades order for coverage.")
    var setSmoothing: Float = 0
    @Option(help: "Evaluate and keep an exponential moving average of the weights with this decay (every method; 0: the weights themselves).")
    var weightAverage: Float = 0
    @Option(help: "What the direct image path reads: feature (the 1280-d feature) or projection (the 128-d projection, a tenth of the size).")
    var directSource: TagDirectSource = .feature
    @Flag(help: "Soft attention over the backbone's 7×7 head map, conditioned on the LSTM's state, at every step (the ranker then reads the grid).")
    var attention = false
    @Flag(help: "Start the direct image path from the trained per-tag logistic regressions (needs --image-to-output).")
    var outputFromLinear = false
    @Flag(help: "Also train the naive RNN and the linear baseline (stored in the file for eval tags).")
    var baselines = false
    @Option(help: "Also write the ranker alone here (what the daemon loads; a third of the size with --baselines).")
    var rankerOut: String?
    @Flag(help: "Store the ranker's weights (in --ranker-out) as float16: half the file, the figures measured on that file.")
    var halfPrecision = false
    @Option(help: "WordNet directory (index.noun, noun.exc, …).")
    var wordnet = TagLexicon.defaultDirectory
    @Option(help: "Random seed (initialisation and batches).")
    var seed: UInt64 = 1
    @Option(help: "Model id stored in the file.")
    var modelID: String?
    @Option(help: "Output model file.")
    var out: String

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        guard iterations > 0, batchSize > 0, lr > 0, hidden > 0, inputSize > 0, maxList > 0, minCount > 0, evalEvery > 0 else {
            throw ValidationError("--iterations, --batch-size, --lr, --hidden, --input-size, --max-list, --min-count and --eval-every must be positive")
        }
        guard imageToOutput || !outputFromLinear else {
            throw ValidationError("--output-from-linear starts the direct image path: add --image-to-output")
        }
        guard directSource == .feature || !outputFromLinear else {
            throw ValidationError("--output-from-linear starts a direct path from the feature: drop --direct-source projection")
        }
        guard (0..<1).contains(weightAverage) else {
            throw ValidationError("--weight-average must be at least 0 and below 1, not \(weightAverage)")
        }
        guard (0..<1).contains(setSmoothing) else {
            throw ValidationError("--set-smoothing must be at least 0 and below 1, not \(setSmoothing)")
        }
        guard (0..<1).contains(inputDropout) else {
            throw ValidationError("--input-dropout must be at least 0 and below 1, not \(inputDropout)")
        }
    }

    func run() throws {
        openblas_set_num_threads(1)
        let lexicon = try TagLexicon(directory: wordnet)
        let networks = try data.networks()
        let (trainSet, trainFeatures) = try TagCommandSupport.load(captions: set.captions, images: set.images,
                                                                   splitList: set.splitList, data: data, networks: networks)
        let vocabulary = TagGroundTruth.vocabulary(captions: trainSet.captions, lexicon: lexicon, minimumCount: minCount)
        guard !vocabulary.tags.isEmpty else { throw TrainingDataError.empty(what: "the tag vocabulary (no noun reaches --min-count)") }
        var train = TagTrainingData(set: trainSet, features: trainFeatures, vocabulary: vocabulary, lexicon: lexicon)
        if attention {
            train = train.with(grid: try networks.gridFeatures(trainSet, imageDirectory: set.images, cache: data.featureCache, threads: data.threads))
        }
        train = train.tagged
        scorerNote("\(vocabulary.tags.count) tags (≥ \(minCount) mentions); \(train.count) training photos with tags, "
                   + String(format: "%.1f tags each", Double(train.lists.map(\.count).reduce(0, +)) / Double(max(train.count, 1))))
        var tune: TagTrainingData?, heldOut: TagTrainingData?
        if set.hasDev {
            let (devSet, devFeatures) = try TagCommandSupport.load(captions: set.devCaptions ?? set.captions,
                                                                   images: set.devImages ?? set.images,
                                                                   splitList: set.devSplitList, data: data, networks: networks)
            var dev = TagTrainingData(set: devSet, features: devFeatures, vocabulary: vocabulary, lexicon: lexicon)
            if attention {
                dev = dev.with(grid: try networks.gridFeatures(devSet, imageDirectory: set.devImages ?? set.images,
                                                               cache: data.featureCache, threads: data.threads))
            }
            let halves = TagCommandSupport.halves(dev)
            (tune, heldOut) = (halves.tune.tagged, halves.heldOut.tagged)
        }
        var options = TagTrainingOptions()
        options.batchSize = batchSize
        options.learningRate = lr
        options.weightDecay = weightDecay
        options.clipNorm = clip
        options.inputDropout = inputDropout
        options.excludeListed = excludeListed
        options.setSmoothing = setSmoothing
        options.weightAverage = weightAverage
        options.maxListLength = maxList
        options.seed = seed
        let shape = TagShape(featureSize: train.featureWidth, inputSize: inputSize, hiddenSize: hidden, tagCount: vocabulary.tags.count,
                             cells: attention ? train.grid?.cells ?? BackboneOutput.gridCells : 1)
        var pooledShape = shape
        pooledShape.cells = 1

        var metadata: [String: String] = [
            "kind": "photoq tag ranker",
            "training_captions": TrainingSetOptions.recorded(set.captions), "training_split": TrainingSetOptions.recorded(set.splitList),
            "training_photos": String(train.count), "min_count": String(minCount), "max_list": String(maxList),
            "backbone": networks.backboneID, "transform": networks.transform.rawValue,
            "iterations": String(iterations), "batch_size": String(batchSize), "learning_rate": String(lr),
            "weight_decay": String(weightDecay), "input_dropout": String(inputDropout), "clip": String(clip), "seed": String(seed),
            "step_softmax": excludeListed ? "tags not yet listed" : "every tag",
            "set_smoothing": String(setSmoothing), "weight_average": String(weightAverage),
            "ground_truth_rule": "captions mentioning the tag desc, mean first-mention word position asc, name",
        ]
        metadata.merge(networks.backboneMetadata) { _, new in new }
        if set.hasDev { metadata["dev_split"] = TrainingSetOptions.recorded(set.devSplitList); metadata["dev_selection"] = "even-numbered dev photos" }

        var linear: TagLinearClassifier?
        if baselines || outputFromLinear {
            linear = trainLinear(shape: pooledShape, options: options, train: train, tune: tune, heldOut: heldOut, metadata: &metadata)
        }
        var initial = TagParameters(shape: shape, imageInput: .everyStep, imageToOutput: imageToOutput,
                                    directSource: directSource, attention: attention, seed: seed)
        if outputFromLinear, let linear { initial.startDirectPath(from: linear) }
        metadata["direct_path_start"] = outputFromLinear ? "linear baseline" : "zero"
        let main = try trainRanker(initial, label: "lstm", options: options, train: train, tune: tune, heldOut: heldOut, metadata: &metadata)
        var naive: TagParameters?
        if baselines {
            naive = try trainRanker(TagParameters(shape: pooledShape, imageInput: .firstStep, seed: seed), label: "naive_rnn",
                                    options: options, train: train, tune: tune, heldOut: heldOut, metadata: &metadata)
        }
        if !baselines { linear = nil }
        if let tune { chooseCutoff(main, tune: tune, heldOut: heldOut, metadata: &metadata) }
        let id = modelID ?? "lstm-tagger-h\(hidden)-v\(vocabulary.tags.count)-seed\(seed)"
        try TaggerFile(parameters: main, tags: vocabulary.tags, naiveRNN: naive, linear: linear, metadata: metadata)
            .save(to: out, modelID: id)
        scorerNote("wrote \(out) (\(id), \(vocabulary.tags.count) tags)")
        if let rankerOut {
            try TaggerFile(parameters: main, tags: vocabulary.tags, metadata: metadata).save(to: rankerOut, modelID: id, halfPrecision: halfPrecision)
            scorerNote("wrote the ranker alone to \(rankerOut)")
        }
    }

    /// Trains one ranker, keeping the checkpoint with the best tuning-half NDCG.
    private func trainRanker(_ initial: TagParameters, label: String, options: TagTrainingOptions, train: TagTrainingData,
                             tune: TagTrainingData?, heldOut: TagTrainingData?, metadata: inout [String: String]) throws -> TagParameters {
        var trainer = TagTrainer(parameters: initial, options: options)
        var best: (iteration: Int, parameters: TagParameters, score: Double) = (0, initial, -1)
        let progress = ProgressBar(label: "train tags (\(label))", total: iterations)
        var recent: Float = 0, recentCount = 0
        for iteration in 1...iterations {
            recent += try trainer.step(train); recentCount += 1
            progress.advance(note: String(format: "loss %.3f", recent / Float(recentCount)))
            if iteration % evalEvery == 0 || iteration == iterations {
                let loss = recent / Float(max(recentCount, 1))
                recent = 0; recentCount = 0
                if let tune {
                    let m = TagMetrics.averages(predicted: try TagRankings.lstm(trainer.evaluated, tune), truth: tune.lists)
                    scorerNote(String(format: "%@ iteration %d: train loss %.3f, dev tuning NDCG %.4f P %.4f", label, iteration, loss, m.ndcg, m.precision))
                    if m.ndcg > best.score { best = (iteration, trainer.evaluated, m.ndcg) }
                } else {
                    best = (iteration, trainer.evaluated, -1)
                }
            }
        }
        progress.finish()
        metadata[label + "_selected_iteration"] = String(best.iteration)
        // How rankings continue past the end token, chosen on the tuning half too.
        var fill = TagRankingFill.continueDecoding
        if let tune {
            var bestFill = -1.0
            for candidate in TagRankingFill.allCases {
                let m = TagMetrics.averages(predicted: try TagRankings.lstm(best.parameters, tune, fill: candidate), truth: tune.lists)
                scorerNote(String(format: "%@ ranking past the end by %@: dev tuning NDCG %.4f P %.4f", label, candidate.rawValue, m.ndcg, m.precision))
                if m.ndcg > bestFill { (fill, bestFill) = (candidate, m.ndcg) }
            }
        }
        metadata[label + "_ranking_fill"] = fill.rawValue
        if let heldOut {
            let m = TagMetrics.averages(predicted: try TagRankings.lstm(best.parameters, heldOut, fill: fill), truth: heldOut.lists)
            metadata[label + "_dev_heldout_ndcg"] = String(format: "%.4f", m.ndcg)
            metadata[label + "_dev_heldout_precision"] = String(format: "%.4f", m.precision)
            scorerNote(String(format: "%@: iteration %d kept; held-out dev NDCG %.4f P %.4f", label, best.iteration, m.ndcg, m.precision))
        }
        return best.parameters
    }

    /// The confidence cutoff (`TagCutoff`), chosen on the tuning half.
    private func chooseCutoff(_ ranker: TagParameters, tune: TagTrainingData, heldOut: TagTrainingData?,
                              metadata: inout [String: String]) {
        guard let lists = try? TagRankings.lists(ranker, tune) else { return }
        let cutoff = TagCutoff.choose(lists: lists, truth: tune.lists)
        metadata[TaggerFile.cutoffKey] = String(cutoff)
        metadata["tag_cutoff_rule"] = "after the first tag, the highest step probability keeping 90% of the correct tags on the dev tuning half"
        for (name, part) in [("tuning", tune), ("held-out", heldOut)] {
            guard let part, let listed = try? TagRankings.lists(ranker, part) else { continue }
            let before = TagCutoff.effect(lists: listed, truth: part.lists, cutoff: nil)
            let after = TagCutoff.effect(lists: listed, truth: part.lists, cutoff: cutoff)
            scorerNote(String(format: "cutoff %.4f on the %@ half: %.2f tags per photo (%.3f right) → %.2f (%.3f right, %.3f of right tags kept)",
                              cutoff, name, before.tagsPerPhoto, before.precision, after.tagsPerPhoto, after.precision, after.correctKept))
        }
    }

    private func trainLinear(shape: TagShape, options: TagTrainingOptions, train: TagTrainingData, tune: TagTrainingData?,
                             heldOut: TagTrainingData?, metadata: inout [String: String]) -> TagLinearClassifier {
        var trainer = TagLinearTrainer(featureSize: shape.featureSize, tagCount: shape.tagCount, options: options)
        var best: (iteration: Int, classifier: TagLinearClassifier, score: Double) = (0, trainer.classifier, -1)
        let progress = ProgressBar(label: "train tags (linear)", total: iterations)
        for iteration in 1...iterations {
            let loss = trainer.step(train)
            progress.advance(note: String(format: "loss %.4f", loss))
            if let tune, iteration % evalEvery == 0 || iteration == iterations {
                let m = TagMetrics.averages(predicted: TagRankings.linear(trainer.evaluated, tune), truth: tune.lists)
                scorerNote(String(format: "linear iteration %d: dev tuning NDCG %.4f P %.4f", iteration, m.ndcg, m.precision))
                if m.ndcg > best.score { best = (iteration, trainer.evaluated, m.ndcg) }
            } else if tune == nil {
                best = (iteration, trainer.evaluated, -1)
            }
        }
        progress.finish()
        metadata["linear_selected_iteration"] = String(best.iteration)
        if let heldOut {
            let m = TagMetrics.averages(predicted: TagRankings.linear(best.classifier, heldOut), truth: heldOut.lists)
            metadata["linear_dev_heldout_ndcg"] = String(format: "%.4f", m.ndcg)
            metadata["linear_dev_heldout_precision"] = String(format: "%.4f", m.precision)
            scorerNote(String(format: "linear: iteration %d kept; held-out dev NDCG %.4f P %.4f", best.iteration, m.ndcg, m.precision))
        }
        return best.classifier
    }
}

/// Loading shared by `train tags` and `eval tags`.
enum TagCommandSupport {
    /// A captioned set restricted to its split and to photos on disk, with
    /// its backbone features (from the feature cache when the key matches).
    static func load(captions: String, images: String, splitList: String?, data: JointDataOptions,
                     networks: PretrainedNetworks) throws -> (CaptionSet, ImageFeatures) {
        var set = try CaptionSet.load(path: captions)
        if let splitList { set = try set.restricted(toSplitList: splitList) }
        let (existing, missing) = set.restricted(toExistingIn: images)
        if missing > 0 { scorerNote("note: \(missing) captioned photos are not in \(images)") }
        guard !existing.photos.isEmpty else { throw TrainingDataError.empty(what: "the photo set from \(captions)") }
        return try networks.imageFeatures(existing, imageDirectory: images, cache: data.featureCache, threads: data.threads)
    }

    /// Dev photos split for honest reporting: even-numbered ones choose
    /// checkpoints, odd-numbered ones are only ever measured.
    static func halves(_ dev: TagTrainingData) -> (tune: TagTrainingData, heldOut: TagTrainingData) {
        (dev.restricted(to: Array(stride(from: 0, to: dev.count, by: 2))),
         dev.restricted(to: Array(stride(from: 1, to: dev.count, by: 2))))
    }
}
extension TagDirectSource: ExpressibleByArgument {}

