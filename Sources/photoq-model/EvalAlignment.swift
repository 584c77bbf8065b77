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

    @Option(parsing: .upToNextOption, help: "Also measure with the cells kept as int8 coordinates in a basis of this rank (the index's compact form).")
    var cellBasis: [Int] = []

    @Option(help: "Captions of the photos the basis is fitted on (with --cell-basis).")
    var basisCaptions: String?

    @Option(help: "Folder of the photos the basis is fitted on.")
    var basisImages: String?

    @Option(help: "Only these photos for the basis (one name per line).")
    var basisSplitList: String?

    @OptionGroup var data: JointDataOptions

    func validate() throws {
        if !cellBasis.isEmpty, basisCaptions == nil || basisImages == nil {
            throw ValidationError("--cell-basis needs --basis-captions and --basis-images (fit it on other photos than those measured)")
        }
        if let bad = cellBasis.first(where: { !(1...JointDimensions.joint).contains($0) }) {
            throw ValidationError("--cell-basis \(bad): a rank must be 1...\(JointDimensions.joint)")
        }
    }

    func run() throws {
        let bridge = try data.bridgeFile()
        let weightsFile = try WeightFile(path: model ?? ModelPaths.model(JointModelFiles.joint, in: data.modelDir))
        let joint = try JointModel(weights: weightsFile, bridge: bridge)
        let networks = try data.networks(flip: joint.testTimeFlip, joint: joint)
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
        func report(_ alignment: RegionWordAlignment, label: String, withJoint: Bool) {
            for k in topK {
                let ranks = alignmentRerankedRanks(alignment, photoEmbeddings: photos, captionEmbeddings: queries,
                                                   photoOfCaption: prepared.photoOfCaption, topK: k, weights: weights)
                if withJoint && k == topK.first { print(line("joint alone        ", ranks.joint)) }
                for (w, weight) in weights.enumerated() {
                    print(line(String(format: "K %3d  w %5.2f %@", k, weight, label), ranks.fused[w]))
                }
            }
        }
        report(alignment, label: "     ", withJoint: true)
        guard !cellBasis.isEmpty, let basisCaptions, let basisImages else { return }
        let fitted = try PreparedSet.load(captions: basisCaptions, imageDirectory: basisImages, splitList: basisSplitList,
                                          networks: networks, cache: data.featureCache, threads: data.threads, grid: true)
        guard let fittedGrid = fitted.grid else { throw ValidationError("the basis photos have no head maps") }
        let fittedCells = try RegionWordAlignment.photoCells(grid: fittedGrid, model: joint, classifier: classifier.weight,
                                                             classifierBias: classifier.bias)
        for rank in cellBasis {
            let basis = CellBasis.fit(rows: fittedCells, dimension: joint.dimension, rank: rank)
            let stored = RegionWordAlignment(cells: basis.roundTrip(alignment.cells, int8: true),
                                             cellsPerPhoto: alignment.cellsPerPhoto, tokens: alignment.tokens,
                                             dimension: alignment.dimension)
            print("cells as int8 in a rank-\(rank) basis fitted on \(fitted.images.count) photos: "
                  + "\(basis.bytesPerRow * alignment.cellsPerPhoto) bytes per photo")
            report(stored, label: String(format: "r%-3d ", rank), withJoint: false)
        }
    }
}
