import ArgumentParser
import CBLAS
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model eval tags`: Yan, Wang & Liao's ranking protocol.
struct EvalTags: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags",
        abstract: "Measure the tag ranker and its baselines by NDCG@k and Precision@k (k = 1…10).",
        discussion: """
            Ground truth: the tagger's vocabulary found in each photo's captions, ordered by how many captions \
            mention a tag, then by how early (docs/quality.md). Each method ranks 10 tags per photo: the LSTM by \
            greedy decoding without repeats (the end token skipped), the naive RNN likewise, the linear baseline \
            by its per-tag scores. Figures are averaged over k = 1…10 and over photos with at least one tag.
            """)

    enum Subset: String, ExpressibleByArgument, CaseIterable {
        case all
        /// The even-numbered photos, which chose the checkpoints when this set was dev.
        case tune
        /// The odd-numbered photos, never used for any choice.
        case heldout
    }

    @Option(help: "Captions: COCO-format JSON or Flickr8k token file.")
    var captions: String
    @Option(help: "Folder with the photos.")
    var images: String
    @Option(help: "Only the photos listed in this file.")
    var splitList: String?
    @Option(help: "Which photos: all, tune (even-numbered) or heldout (odd-numbered).")
    var subset: Subset = .all
    @Option(help: "Tagger weights (default: the installed tagger.safetensors).")
    var tagger: String?
    @Option(help: "Take the baselines from this tagger file instead (same vocabulary), e.g. to measure a ranker trained without --baselines.")
    var baselinesFrom: String?
    @Option(help: "WordNet directory (index.noun, noun.exc, …).")
    var wordnet = TagLexicon.defaultDirectory
    @Option(help: "How the RNNs' rankings continue past the end token: continue or sum (default: as chosen on dev at training).")
    var fill: TagRankingFill?
    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @OptionGroup var data: JointDataOptions

    func run() throws {
        openblas_set_num_threads(1)
        let path = tagger ?? ModelPaths.model(TaggerFile.defaultFileName, in: data.modelDir)
        let file = try TaggerFile.load(from: path)
        let baselineFile = try baselinesFrom.map { try TaggerFile.load(from: $0) } ?? file
        guard let naive = baselineFile.naiveRNN, let linear = baselineFile.linear else {
            throw ValidationError("\(baselinesFrom ?? path) has no baselines; train it with `photoq-model train tags --baselines`")
        }
        guard baselineFile.tags == file.tags else {
            throw ValidationError("\(baselinesFrom ?? path): its baselines have another vocabulary than \(path)")
        }
        let lexicon = try TagLexicon(directory: wordnet)
        let networks = try data.networks()
        let (set, features) = try TagCommandSupport.load(captions: captions, images: images, splitList: splitList,
                                                         data: data, networks: networks)
        guard features.featureWidth == file.parameters.shape.featureSize else {
            throw ValidationError("features have \(features.featureWidth) values, the tagger expects \(file.parameters.shape.featureSize)")
        }
        var all = TagTrainingData(set: set, features: features, vocabulary: TagGroundTruth(tags: file.tags), lexicon: lexicon)
        if file.parameters.shape.cells > 1 {
            all = all.with(grid: try networks.gridFeatures(set, imageDirectory: images, cache: data.featureCache, threads: data.threads))
        }
        switch subset {
        case .all: break
        case .tune: all = TagCommandSupport.halves(all).tune
        case .heldout: all = TagCommandSupport.halves(all).heldOut
        }
        let evaluated = all.tagged
        guard evaluated.count > 0 else { throw TrainingDataError.empty(what: "the photos with vocabulary tags in \(captions)") }
        // Each ranker continues past its end token the way dev chose for it.
        func fill(_ label: String) -> TagRankingFill {
            let chosenIn = label == "lstm" ? file : baselineFile
            return self.fill ?? chosenIn.metadata[label + "_ranking_fill"].flatMap(TagRankingFill.init(rawValue:)) ?? .continueDecoding
        }
        let rankings = [("lstm", try TagRankings.lstm(file.parameters, evaluated, fill: fill("lstm"))),
                        ("naive_rnn", try TagRankings.lstm(naive, evaluated, fill: fill("naive_rnn"))),
                        ("linear", TagRankings.linear(linear, evaluated))]
        let figures = rankings.map { TagMetrics.averages(predicted: $0.1, truth: evaluated.lists) }
        let (lstm, rnn, lin) = (figures[0], figures[1], figures[2])
        let modelID = file.metadata["model_id"] ?? "?"
        // What the daemon stores: the greedy lists, cut by the file's cutoff.
        let cutoff = try Tagger(file: file).cutoff
        let stored = TagCutoff.effect(lists: try TagRankings.lists(file.parameters, evaluated), truth: evaluated.lists, cutoff: cutoff)
        if json {
            let report = TagsReport(version: 1, tagger: modelID, subset: subset.rawValue, photos: evaluated.count,
                                    ndcg: lstm.ndcg, precision: lstm.precision,
                                    baselines: ["linear": .init(ndcg: lin.ndcg, precision: lin.precision),
                                                "naive_rnn": .init(ndcg: rnn.ndcg, precision: rnn.precision)],
                                    stored: .init(cutoff: cutoff, tagsPerPhoto: stored.tagsPerPhoto, precision: stored.precision,
                                                  correctKept: stored.correctKept))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print("tagger \(modelID), \(file.tags.count) tags; \(evaluated.count) photos with tags (\(subset.rawValue) of \(all.count)); averages over k = 1…10")
            print("method      NDCG    Precision   NDCG@1  @5      @10     P@1     @5      @10")
            for ((name, ranking), m) in zip(rankings, figures) {
                let at = TagMetrics.perK(predicted: ranking, truth: evaluated.lists)
                let columns = [0, 4, 9].map { at[$0].ndcg } + [0, 4, 9].map { at[$0].precision }
                print(name.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: "  %.4f  %.4f    ", m.ndcg, m.precision)
                      + columns.map { String(format: "%.4f", $0) }.joined(separator: "  "))
            }
            print(String(format: "stored tags (cutoff %@): %.2f per photo, %.3f of them right, %.3f of the lists' right tags kept",
                         cutoff.map { String(format: "%.4f", $0) } ?? "none", stored.tagsPerPhoto, stored.precision, stored.correctKept))
        }
    }
}

extension TagRankingFill: ExpressibleByArgument {}

/// The `--json` document (version 1; keys are stable).
struct TagsReport: Codable {
    struct Figures: Codable { var ndcg: Double; var precision: Double }
    var version: Int
    var tagger: String
    var subset: String
    var photos: Int
    var ndcg: Double
    var precision: Double
    var baselines: [String: Figures]
    /// The tags the daemon stores (greedy lists up to 8, cut by the cutoff).
    struct Stored: Codable { var cutoff: Float?; var tagsPerPhoto: Double; var precision: Double; var correctKept: Double }
    var stored: Stored
}
