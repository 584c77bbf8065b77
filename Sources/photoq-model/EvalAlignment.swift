import ArgumentParser
import Foundation
import Model
import ModelFormat
import Training

/// `photoq-model eval alignment`: how much region–word alignment adds to the
/// joint space when it reorders the joint space's top K, per fusion weight,
/// on the even-numbered photos (for choosing) and the odd ones (held out).
struct EvalAlignment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alignment",
        abstract: "Measure retrieval with the joint space's top K reordered by joint similarity + w × region–word alignment.",
        discussion: """
            The alignment of a caption and a photo is the mean over the caption's word tokens of the best \
            cell's similarity (Karpathy & Fei-Fei). Recalls are printed for every K and w, for the photos \
            with even and odd numbers separately (choose on one half, report the other).
            """)

    @Option(help: "Captions: COCO-format JSON or Flickr8k token file.")
    var captions: String

    @Option(help: "Folder with the photos the captions name.")
    var images: String

    @Option(help: "Only the photos listed in this file (one name per line).")
    var splitList: String?

    @Option(help: "Trained joint model file (default: the installed one).")
    var model: String?

    @Option(parsing: .upToNextOption, help: "Candidates reordered (K).")
    var topK: [Int] = [10, 20, 50]

    @Option(parsing: .upToNextOption, help: "Fusion weights w of the alignment.")
    var weights: [Float] = [0, 0.25, 0.5, 1, 2, 4]

    @Flag(help: "Align each word encoded alone instead of the caption's contextual tokens.")
    var wordsAlone = false

    @OptionGroup var data: JointDataOptions

    func run() throws {
        let bridge = try data.bridgeFile()
        let weightsFile = try WeightFile(path: model ?? ModelPaths.model(JointModelFiles.joint, in: data.modelDir))
        let joint = try JointModel(weights: weightsFile, bridge: bridge)
        let networks = try data.networks(flip: joint.testTimeFlip)
        let prepared = try PreparedSet.load(captions: captions, imageDirectory: images, splitList: splitList, networks: networks,
                                            cache: data.featureCache, threads: data.threads, grid: true)
        guard let grid = prepared.grid else { throw ValidationError("the photo set has no head maps") }
        let classifier = try networks.backbone.classifierWeights()
        let alignment = try RegionWordAlignment.compute(prepared, grid: grid, model: joint, encoder: networks.sentenceEncoder,
                                                        classifier: classifier.weight, classifierBias: classifier.bias,
                                                        threads: data.threads, wordsAlone: wordsAlone)
        let photos = prepared.embedPhotos(joint)
        let queries = joint.embedTexts(sentenceEmbeddings: prepared.sentences, batch: prepared.photoOfCaption.count)
        let n = prepared.images.count
        func halves(_ ranks: [Int]) -> [RetrievalMetrics] {
            [0, 1].map { parity in
                RetrievalMetrics(ranks: ranks.indices.filter { prepared.photoOfCaption[$0] % 2 == parity }.map { ranks[$0] },
                                 photos: n)
            }
        }
        func line(_ label: String, _ ranks: [Int]) -> String {
            let (even, odd) = (halves(ranks)[0], halves(ranks)[1])
            let all = RetrievalMetrics(ranks: ranks, photos: n)
            return String(format: "%@  even %.1f/%.1f/%.1f  odd %.1f/%.1f/%.1f  all %.1f/%.1f/%.1f", label,
                          even.recallAt1 * 100, even.recallAt5 * 100, even.recallAt10 * 100,
                          odd.recallAt1 * 100, odd.recallAt5 * 100, odd.recallAt10 * 100,
                          all.recallAt1 * 100, all.recallAt5 * 100, all.recallAt10 * 100)
        }
        print("\(joint.modelID): \(n) photos, \(queries.count / joint.dimension) queries; R@1/5/10")
        for k in topK {
            let ranks = alignmentRerankedRanks(alignment, photoEmbeddings: photos, captionEmbeddings: queries,
                                               photoOfCaption: prepared.photoOfCaption, topK: k, weights: weights)
            if k == topK.first { print(line("joint alone        ", ranks.joint)) }
            for (w, weight) in weights.enumerated() {
                print(line(String(format: "K %3d  w %5.2f      ", k, weight), ranks.fused[w]))
            }
        }
    }
}
