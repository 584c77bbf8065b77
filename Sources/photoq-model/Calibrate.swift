import ArgumentParser
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model calibrate`: chooses the joint model's relevance cutoff on
/// captioned photos (dev, never the photos quality is reported on) and, with
/// `--write`, stores it in the model's metadata, where photoqd reads it.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Choose the score below which search results are dropped as unrelated.",
        discussion: """
            The cutoff keeps --keep of the true matches ranked in the top 10, for whole \
            captions (each finds its own photo) and for one-word queries (each finds the \
            photos whose captions use the word), whichever asks for the lower score. \
            Nonsense queries (random letters) show how much of what they return it removes.
            """)

    @Option(help: "Captions: COCO-format JSON or Flickr8k token file.")
    var captions: String

    @Option(help: "Folder with the photos the captions name.")
    var images: String

    @Option(help: "Only the photos listed in this file (one name per line).")
    var splitList: String?

    @Option(help: "Joint model file (default: the installed joint.safetensors).")
    var model: String?

    @Option(help: "Share of top-10 true matches the cutoff must keep.")
    var keep = 0.95

    @Option(help: "Nonsense queries to measure the cutoff with.")
    var nonsense = 200

    @Flag(help: "Store the cutoff in the model file's metadata (relevance_cutoff).")
    var write = false

    @Flag(help: "Measure the cutoff already stored in the model (e.g. on photos it was not chosen on) instead of choosing one.")
    var measure = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        guard keep > 0, keep <= 1 else { throw ValidationError("--keep must be in (0, 1]") }
        guard nonsense >= 0 else { throw ValidationError("--nonsense must be 0 or more") }
        if measure && write { throw ValidationError("--measure reads the stored cutoff; drop --write") }
    }

    func run() throws {
        let path = model ?? ModelPaths.model(JointModelFiles.joint, in: data.modelDir)
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no joint model at \(path)") }
        let file = try WeightFile(path: path)
        let joint = try JointModel(weights: file, bridge: data.bridgeFile())
        let networks = try data.networks(flip: joint.testTimeFlip, joint: joint)
        let prepared = try PreparedSet.load(captions: captions, imageDirectory: images, splitList: splitList,
                                            networks: networks, cache: data.featureCache, threads: data.threads,
                                            grid: joint.needsGrid)
        let photos = prepared.embedPhotos(joint)
        let queries = joint.embedTexts(sentenceEmbeddings: prepared.sentences, batch: prepared.photoOfCaption.count)
        func embed(_ texts: [String]) -> [Float] {
            joint.embedTexts(sentenceEmbeddings: networks.sentenceEncoder.encode(batch: texts).flatMap { $0 }, batch: texts.count)
        }
        // Two kinds of true matches: whole captions finding their photo, and
        // one-word queries finding photos whose captions use the word.
        let captionScores = RelevanceCutoff.trueMatchScoresInTop10(queries: queries, photos: photos, dimension: joint.dimension,
                                                                   photoOfQuery: prepared.photoOfCaption)
        let words = WordQueries.make(captionsOfPhoto: prepared.set.captions, minimumPhotos: 5)
        let wordScores = words.isEmpty ? [] : RelevanceCutoff.relevantScoresInTop10(
            queries: embed(words.map(\.word)), photos: photos, dimension: joint.dimension, relevant: words.map(\.photos))
        guard let fromCaptions = RelevanceCutoff.threshold(keeping: keep, of: captionScores) else {
            throw ValidationError("no caption found its photo in the top 10; nothing to calibrate on")
        }
        let fromWords = RelevanceCutoff.threshold(keeping: keep, of: wordScores) ?? fromCaptions
        var threshold = min(fromCaptions, fromWords)
        if measure {
            guard let stored = file.metadata["relevance_cutoff"].flatMap(Float.init) else {
                throw ValidationError("\(path) has no relevance_cutoff to measure; calibrate it with --write first")
            }
            threshold = stored
        }
        func share(_ scores: [Float]) -> Double { scores.isEmpty ? 1 : Double(scores.filter { $0 >= threshold }.count) / Double(scores.count) }
        let texts = NonsenseQueries.make(count: nonsense, seed: 1)
        let removed = texts.isEmpty ? [] : RelevanceCutoff.removedFromTop(10, queries: embed(texts), photos: photos,
                                                                          dimension: joint.dimension, threshold: threshold)
        let removedShare = removed.isEmpty ? 0 : Double(removed.reduce(0, +)) / Double(removed.count * 10)
        let emptied = removed.filter { $0 == 10 }.count
        if write {
            try WeightFileRewrite.setMetadata(["relevance_cutoff": String(format: "%.4f", threshold)],
                                              of: file, to: path)
        }
        if json {
            let report = CalibrationReport(version: 1, model: joint.modelID, photos: prepared.images.count,
                                           queries: prepared.photoOfCaption.count, word_queries: words.count, keep: keep,
                                           caption_cutoff: Double(fromCaptions), word_cutoff: Double(fromWords),
                                           relevance_cutoff: Double(threshold),
                                           matches_in_top_10: captionScores.count + wordScores.count,
                                           kept_share: share(captionScores + wordScores),
                                           nonsense_queries: removed.count, nonsense_removed_share: removedShare,
                                           nonsense_emptied: emptied, written: write)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            if measure { print("measuring the stored cutoff") }
            print(String(format: "relevance cutoff %.4f (%d photos): keeps %.1f%% of the %d captions' own photos in their top 10 (alone: %.4f) and %.1f%% of the %d relevant photos in the top 10 of %d one-word queries (alone: %.4f)",
                         threshold, prepared.images.count, share(captionScores) * 100, captionScores.count, fromCaptions,
                         share(wordScores) * 100, wordScores.count, words.count, fromWords))
            if !removed.isEmpty {
                print(String(format: "nonsense queries: %d; the cutoff removes %.1f%% of their top 10, all of it for %d",
                             removed.count, removedShare * 100, emptied))
            }
            if write { print("stored as relevance_cutoff in \(path)") }
        }
    }
}

/// The `--json` document (version 1).
struct CalibrationReport: Codable {
    var version: Int
    var model: String
    var photos: Int
    var queries: Int
    var word_queries: Int
    var keep: Double
    /// The cutoff each kind of query alone would give; the stored one is the lower.
    var caption_cutoff: Double
    var word_cutoff: Double
    var relevance_cutoff: Double
    var matches_in_top_10: Int
    var kept_share: Double
    var nonsense_queries: Int
    var nonsense_removed_share: Double
    var nonsense_emptied: Int
    var written: Bool
}
