import ArgumentParser
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model eval retrieval`: text→image retrieval on a captioned set
/// (Karpathy protocol) plus image→image agreement with the tf-idf proxy.
struct EvalRetrieval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Measure text-to-image retrieval on a captioned photo set.",
        discussion: """
            Every caption is a query against all photos of the set; a query succeeds at K when its own \
            photo is among the top K. Also prints image-to-image NDCG@10 against the tf-idf caption proxy. \
            Without --model, --bridge-only or --random, evaluates the installed default model, as search \
            runs it: with the installed reranker (reranker.safetensors) when its policy is on, photos' cells \
            in the stored int8 form. --no-rerank evaluates the joint space alone.
            """)

    @Option(help: "Captions: COCO-format JSON or Flickr8k token file.")
    var captions: String

    @Option(help: "Folder with the photos the captions name.")
    var images: String

    @Option(help: "Only the photos listed in this file (one name per line).")
    var splitList: String?

    @Option(help: "Trained joint model file.")
    var model: String?

    @Flag(help: "Evaluate the zero-shot bridge without training.")
    var bridgeOnly = false

    @Flag(help: "Evaluate random embeddings (chance level).")
    var random = false

    @Option(help: "Top classes mixed into the bridge vector (default: the model's or the bridge's).")
    var topT: Int?

    @Option(help: "Seed for --random.")
    var seed: UInt64 = 1

    @Option(help: "Rerank the joint space's top K with the LSTM scorer (joint similarity weighted as the scorer's policy says) and report those recalls.")
    var rerank: Int?

    @Option(help: "With --rerank: the joint similarity's weight in the combined score (default: the scorer's policy).")
    var jointWeight: Float?

    @Option(help: "With --rerank and a --word-alignment scorer: add this × the region–word alignment to the combined score (default: the scorer's policy).")
    var alignmentWeight: Float?

    @Option(help: "Scorer weights for --rerank (default: the installed lstm-scorer.safetensors).")
    var scorer: String?

    @Flag(help: "Evaluate the joint space alone, without the installed reranker.")
    var noRerank = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        if [model != nil, bridgeOnly, random].filter({ $0 }).count > 1 {
            throw ValidationError("choose at most one of --model, --bridge-only and --random")
        }
        if let topT, topT < 1 { throw ValidationError("--top-t must be at least 1") }
        if let rerank, rerank < 1 { throw ValidationError("--rerank must be at least 1") }
        if let alignmentWeight, alignmentWeight < 0 || !alignmentWeight.isFinite { throw ValidationError("--alignment-weight must be 0 or more") }
        if noRerank, rerank != nil { throw ValidationError("choose --rerank K or --no-rerank") }
        if let jointWeight, jointWeight < 0 || !jointWeight.isFinite || rerank == nil {
            throw ValidationError("--joint-weight must be 0 or more, with --rerank")
        }
        if alignmentWeight != nil, rerank == nil { throw ValidationError("--alignment-weight needs --rerank") }
        if rerank != nil, random { throw ValidationError("--rerank needs a joint model, not --random") }
    }

    func run() throws {
        let jointModel = random ? nil : try loadModel()
        let prepared = try PreparedSet.load(captions: captions, imageDirectory: images, splitList: splitList,
                                            networks: try data.networks(flip: jointModel?.testTimeFlip ?? false, joint: jointModel), cache: data.featureCache,
                                            threads: data.threads, grid: jointModel?.needsGrid ?? false)
        var metrics: RetrievalMetrics
        var modelID: String
        var imageRecall: [Int: Double] = [:]
        var jointOnly: RetrievalMetrics?
        if let jointModel {
            let photos = prepared.embedPhotos(jointModel)
            let queries = jointModel.embedTexts(sentenceEmbeddings: prepared.sentences, batch: prepared.photoOfCaption.count)
            metrics = prepared.evaluate(photoEmbeddings: photos, queryEmbeddings: queries, dimension: jointModel.dimension)
            imageRecall = prepared.imageRecall(photoEmbeddings: photos, dimension: jointModel.dimension)
            modelID = jointModel.modelID
            if !json { stderrLine(embeddingCost(jointModel, prepared)) }
            if let (path, topK) = try rerankPlan() {
                let (reranked, joint, scorerID, weight) = try rerankedMetrics(jointModel, scorerPath: path, topK: topK)
                if !json {
                    print("joint space alone: \(joint.photos) photos, \(joint.queries) queries")
                    print(joint.summary)
                }
                (metrics.recallAt1, metrics.recallAt5, metrics.recallAt10, metrics.medianRank)
                    = (reranked.recallAt1, reranked.recallAt5, reranked.recallAt10, reranked.medianRank)
                jointOnly = joint
                modelID += "+\(scorerID)-top\(topK)-w\(weight)"
            }
        } else {
            metrics = prepared.evaluateRandom(seed: seed, dimension: prepared.dimension)
            modelID = "random-seed\(seed)"
        }
        if json {
            let document = RetrievalReport(version: 1, model: modelID, photos: metrics.photos, queries: metrics.queries,
                                           recall_at_1: metrics.recallAt1, recall_at_5: metrics.recallAt5,
                                           recall_at_10: metrics.recallAt10, median_rank: metrics.medianRank,
                                           proxy_ndcg_at_10: metrics.proxyNDCGAt10,
                                           image_recall_at_1: imageRecall[1], image_recall_at_5: imageRecall[5],
                                           image_recall_at_10: imageRecall[10],
                                           joint_only: jointOnly.map { JointOnlyRecall(recall_at_1: $0.recallAt1, recall_at_5: $0.recallAt5,
                                                                                       recall_at_10: $0.recallAt10) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        } else {
            print("model \(modelID): \(metrics.photos) photos, \(metrics.queries) queries")
            print(metrics.summary)
            if let r1 = imageRecall[1], let r5 = imageRecall[5], let r10 = imageRecall[10] {
                print(String(format: "image→image (caption proxy) R@1 %.1f  R@5 %.1f  R@10 %.1f", r1 * 100, r5 * 100, r10 * 100))
            }
        }
    }

    /// The scorer and K to rerank with: --rerank's, or the installed
    /// reranker's when its policy is on and the installed joint model is the
    /// one evaluated; nil for the joint space alone.
    private func rerankPlan() throws -> (path: String, topK: Int)? {
        if noRerank { return nil }
        if let rerank { return (scorer ?? ModelPaths.model(ScorerParameters.defaultFileName, in: data.modelDir), rerank) }
        guard model == nil, !bridgeOnly else { return nil }
        let path = ModelPaths.model(ScorerParameters.rerankerFileName, in: data.modelDir)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let policy = ScorerRerankPolicy(metadata: try WeightFile(path: path).metadata)
        return policy.enabled ? (path, policy.topK) : nil
    }

    /// Recalls with the joint space's top K reordered by LSTM logit + w ×
    /// joint similarity (+ v × alignment), w and v from the scorer's stored
    /// policy unless given; and the joint space's alone on the same view.
    /// A scorer with a cell basis reads cells in their stored int8 form.
    private func rerankedMetrics(_ joint: JointModel, scorerPath path: String,
                                 topK: Int) throws -> (RetrievalMetrics, RetrievalMetrics, String, Float) {
        let file = try WeightFile(path: path)
        let (parameters, metadata) = try ScorerParameters.load(from: path)
        let policy = ScorerRerankPolicy(metadata: metadata)
        let weight = jointWeight ?? policy.jointWeight
        let alignment = alignmentWeight ?? policy.alignmentWeight
        if alignment != 0, metadata["word_alignment"] != "true" {
            throw ValidationError("--alignment-weight needs a scorer trained with --word-alignment; \(path) was not")
        }
        var set = try ScorerCommandSupport.prepare(captions: captions, images: images, splitList: splitList,
                                                   words: try WordVectors(directory: data.modelDir), joint: joint,
                                                   data: data, networks: try data.networks(joint: joint),
                                                   wordAlignment: metadata["word_alignment"] == "true")
        if let basis = try CellBasis(weights: file) { set = set.withStoredCells(basis) }
        guard let photos = set.photoEmbeddings, let texts = set.captionEmbeddings else {
            throw ValidationError("--rerank needs the joint embeddings of the set")
        }
        let ranks = try rerankedRanks(set.scorer, parameters: parameters, photoEmbeddings: photos, captionEmbeddings: texts,
                                      dimension: joint.dimension, topK: topK, weights: [weight],
                                      alignmentWeight: alignment)
        let n = set.scorer.photoCount
        return (RetrievalMetrics(ranks: ranks.reranked[0], photos: n), RetrievalMetrics(ranks: ranks.joint, photos: n),
                (metadata["model_id"] ?? "scorer") + (alignment == 0 ? "" : "+alignment\(alignment)"), weight)
    }

    /// What the joint space adds per photo and per query on top of the
    /// backbone and the sentence encoder, one at a time as the daemon does.
    private func embeddingCost(_ model: JointModel, _ prepared: PreparedSet) -> String {
        let images = prepared.images, count = min(images.count, 200)
        let d = prepared.dimension
        // Inputs first (the grid is fp16 in the cache; the daemon has fp32), then the timed loop.
        let inputs = (0..<count).map { i in
            (feature: Array(images.features[(i * images.featureWidth)..<((i + 1) * images.featureWidth)]),
             logits: Array(images.logits[(i * images.classCount)..<((i + 1) * images.classCount)]),
             grid: model.needsGrid ? prepared.grid?.gather([i]) : nil)
        }
        var start = Date()
        for input in inputs { _ = model.embedImages(features: input.feature, logits: input.logits, grid: input.grid, batch: 1) }
        let perPhoto = Date().timeIntervalSince(start) / Double(count) * 1000
        start = Date()
        for i in 0..<count { _ = model.embedText(sentenceEmbedding: Array(prepared.sentences[(i * d)..<((i + 1) * d)])) }
        let perQuery = Date().timeIntervalSince(start) / Double(count) * 1000
        return String(format: "joint embedding cost beyond the networks: %.3f ms per photo, %.3f ms per query (one thread)",
                      perPhoto, perQuery)
    }

    private func loadModel() throws -> JointModel {
        let bridge = try data.bridgeFile()
        var weights: WeightFile?
        if !bridgeOnly {
            let path = model ?? ModelPaths.model(JointModelFiles.joint, in: data.modelDir)
            guard FileManager.default.fileExists(atPath: path) else {
                throw ValidationError("no joint model at \(path); pass --model, --bridge-only, or run scripts/convert-models")
            }
            weights = try WeightFile(path: path)
        }
        let loaded = try JointModel(weights: weights, bridge: bridge)
        guard let topT else { return loaded }
        var adjusted = loaded.bridge
        adjusted.topT = min(topT, adjusted.classCount)
        let id = weights == nil ? "bridge-only-top\(adjusted.topT)" : loaded.modelID + "-top\(adjusted.topT)"
        return JointModel(parameters: loaded.parameters, bridge: adjusted, modelID: id)
    }
}

/// The `--json` document (version 1; keys are stable).
struct RetrievalReport: Codable {
    var version: Int
    var model: String
    var photos: Int
    var queries: Int
    var recall_at_1: Double
    var recall_at_5: Double
    var recall_at_10: Double
    var median_rank: Double
    var proxy_ndcg_at_10: Double?
    /// Image→image Recall@K against the caption proxy (absent for --random).
    var image_recall_at_1: Double?
    var image_recall_at_5: Double?
    var image_recall_at_10: Double?
    /// The first stage alone, when the figures above include reranking.
    var joint_only: JointOnlyRecall?
}

struct JointOnlyRecall: Codable {
    var recall_at_1: Double
    var recall_at_5: Double
    var recall_at_10: Double
}
