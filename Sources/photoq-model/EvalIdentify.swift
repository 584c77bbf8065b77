import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model eval identify`: Feng & Kim's identification protocol.
struct EvalIdentify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identify",
        abstract: "Measure how often a method picks a caption's photo over a distractor.",
        discussion: """
            One trial per caption: its photo against a distractor, either a random other photo or one of the \
            caption's 5 nearest other photos in the joint space (hard). Methods: glove (averaged GloVe of the \
            query against the photo's top ImageNet class names), joint (joint-space similarity), lstm (the \
            scorer), combined (LSTM logit + weight × joint similarity, + the policy's weight × region–word alignment for a reranker: the search's reranking policy, its weight chosen on dev R@1 by train scorer).
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable, Codable {
        case glove, joint, lstm, combined
    }

    @Option(help: "Captions: COCO-format JSON or Flickr8k token file.")
    var captions: String
    @Option(help: "Folder with the photos.")
    var images: String
    @Option(help: "Only the photos listed in this file.")
    var splitList: String?
    @Option(help: "Scorer weights (default: the installed reranker.safetensors, the shipped second stage of search, else lstm-scorer.safetensors).")
    var scorer: String?
    @Option(help: "Joint model (default: the installed one).")
    var jointModel: String?
    @Option(help: "Method for --json: glove, joint, lstm or combined (default: combined).")
    var method: Method = .combined
    @Option(help: "Weight of the joint similarity in combined (default: the scorer's stored weight).")
    var combineWeight: Float?
    @Option(help: "Also report text-to-image recall with the joint space's top K reranked by the combined score.")
    var rerank: Int?
    @Option(help: "Seed for drawing distractors.")
    var seed: UInt64 = 1
    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @OptionGroup var data: JointDataOptions

    func run() throws {
        openblas_set_num_threads(1)
        let words = try WordVectors(directory: data.modelDir)
        let joint = try ScorerCommandSupport.jointModel(path: jointModel, data: data)
        let networks = try data.networks(joint: joint)
        let installedReranker = ModelPaths.model(ScorerParameters.rerankerFileName, in: data.modelDir)
        let scorerPath = scorer ?? (FileManager.default.fileExists(atPath: installedReranker) ? installedReranker
            : ModelPaths.model(ScorerParameters.defaultFileName, in: data.modelDir))
        let (parameters, metadata) = try ScorerParameters.load(from: scorerPath)
        var set = try ScorerCommandSupport.prepare(captions: captions, images: images, splitList: splitList, words: words,
                                                   joint: joint, data: data, networks: networks,
                                                   wordAlignment: metadata["word_alignment"] == "true")
        // A reranker reads cells as the index stores them.
        if let basis = try CellBasis(weights: WeightFile(path: scorerPath)) { set = set.withStoredCells(basis) }
        let alignmentWeight = ScorerRerankPolicy(metadata: metadata).alignmentWeight
        let alignment = alignmentWeight == 0 ? nil : set.scorer.pairAlignment?.alignment
        func aligned(_ caption: Int, _ photo: Int) -> Float { alignment.map { alignmentWeight * $0.score(photo: photo, caption: caption) } ?? 0 }
        let classNames = try String(contentsOfFile: ModelPaths.model(ModelPaths.imagenetClasses, in: data.modelDir), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let scoring = IdentificationScorer(
            data: set.scorer, parameters: parameters, photoEmbeddings: set.photoEmbeddings,
            captionEmbeddings: set.captionEmbeddings, jointDimension: joint?.dimension ?? 0,
            glove: GloVeBaseline(classNames: classNames, words: words), logits: set.logits)
        // One policy for identification and reranking: the weight chosen on dev R@1.
        let weight = combineWeight ?? metadata["rerank_joint_weight"].flatMap(Float.init)
            ?? metadata["combine_joint_weight"].flatMap(Float.init) ?? 0

        let randomTrials = identificationTrials(set.scorer, hard: false, seed: seed)!
        let hardTrials = identificationTrials(set.scorer, hard: true, seed: seed)
        func accuracy(_ m: Method, _ trials: [IdentificationTrial]) throws -> Double {
            try identificationAccuracy(trials) { t in
                switch m {
                case .glove: return (scoring.gloveScore(t.caption, t.photo), scoring.gloveScore(t.caption, t.distractor))
                case .joint: return (scoring.joint(t.caption, t.photo), scoring.joint(t.caption, t.distractor))
                case .lstm: return try scoring.lstm(t)
                case .combined:
                    let (a, b) = try scoring.lstm(t)
                    return (a + weight * scoring.joint(t.caption, t.photo) + aligned(t.caption, t.photo),
                            b + weight * scoring.joint(t.caption, t.distractor) + aligned(t.caption, t.distractor))
                }
            }
        }
        let available = Method.allCases.filter { joint != nil || ($0 != .joint && $0 != .combined) }
        var results: [Method: (random: Double, hard: Double?)] = [:]
        for m in (json ? [method] : available) {
            guard available.contains(m) else { throw ValidationError("--method \(m.rawValue) needs a joint model") }
            results[m] = (try accuracy(m, randomTrials), try hardTrials.map { try accuracy(m, $0) })
        }
        var rerankFigures: (joint: RetrievalMetrics, reranked: RetrievalMetrics, weight: Float)?
        if let rerank, let photos = set.photoEmbeddings, let texts = set.captionEmbeddings, let joint {
            let rerankWeight = weight
            let ranks = try rerankedRanks(set.scorer, parameters: parameters, photoEmbeddings: photos, captionEmbeddings: texts,
                                          dimension: joint.dimension, topK: rerank, weights: [rerankWeight],
                                          alignmentWeight: alignmentWeight)
            rerankFigures = (RetrievalMetrics(ranks: ranks.joint, photos: set.scorer.photoCount),
                             RetrievalMetrics(ranks: ranks.reranked[0], photos: set.scorer.photoCount), rerankWeight)
        }
        let modelID = metadata["model_id"] ?? "?"
        if json {
            let r = results[method]!
            let report = IdentifyReport(version: 1, method: method.rawValue, scorer: modelID, joint: joint?.modelID,
                                        combine_weight: method == .combined ? Double(weight) : nil,
                                        pairs: randomTrials.count, accuracy: r.random, accuracy_hard: r.hard)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("scorer \(modelID), joint \(joint?.modelID ?? "none"), combined weight \(weight); \(randomTrials.count) trials each")
            print("method     random   hard")
            for m in available {
                let r = results[m]!
                print(m.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + String(format: "  %5.2f%%  ", 100 * r.random) + (r.hard.map { String(format: "%5.2f%%", 100 * $0) } ?? "  -"))
            }
            if let f = rerankFigures {
                print(String(format: "retrieval, joint space alone:          R@1 %5.2f%%  R@5 %5.2f%%  R@10 %5.2f%%",
                             100 * f.joint.recallAt1, 100 * f.joint.recallAt5, 100 * f.joint.recallAt10))
                print(String(format: "retrieval, top %d reranked (weight %g): R@1 %5.2f%%  R@5 %5.2f%%  R@10 %5.2f%%",
                             rerank ?? 0, Double(f.weight), 100 * f.reranked.recallAt1, 100 * f.reranked.recallAt5,
                             100 * f.reranked.recallAt10))
            }
        }
    }
}

/// The `--json` document (version 1; keys are stable).
struct IdentifyReport: Codable {
    var version: Int
    var method: String
    var scorer: String
    var joint: String?
    var combine_weight: Double?
    var pairs: Int
    var accuracy: Double
    var accuracy_hard: Double?

    /// Writes absent values as null so every key is always present.
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(method, forKey: .method)
        try c.encode(scorer, forKey: .scorer)
        try c.encode(joint, forKey: .joint)
        try c.encode(combine_weight, forKey: .combine_weight)
        try c.encode(pairs, forKey: .pairs)
        try c.encode(accuracy, forKey: .accuracy)
        try c.encode(accuracy_hard, forKey: .accuracy_hard)
    }
}
