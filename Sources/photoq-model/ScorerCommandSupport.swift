import ArgumentParser
import Foundation
import Model
import ModelFormat
import Training

/// A progress note on stderr (stdout carries results only); on a terminal it
/// first clears the progress bar's line.
func scorerNote(_ text: String) {
    let clear = isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" : ""
    FileHandle.standardError.write(Data((clear + text + "\n").utf8))
}

/// Loading shared by `train scorer` and `eval identify`.
enum ScorerCommandSupport {
    /// The installed joint model (or `path`), or nil with a note when absent
    /// and not asked for explicitly: hard negatives then cannot be computed.
    static func jointModel(path: String?, data: JointDataOptions) throws -> JointModel? {
        let file = path ?? ModelPaths.model(JointModelFiles.joint, in: data.modelDir)
        guard FileManager.default.fileExists(atPath: file) else {
            if path != nil { throw ValidationError("no joint model at \(file)") }
            scorerNote("note: no joint model at \(file); no hard negatives or joint scores")
            return nil
        }
        return try JointModel(weights: try WeightFile(path: file), bridge: try data.bridgeFile())
    }

    /// A captioned set prepared for the scorer (features cached). Captions'
    /// sentence embeddings, and with them joint-space neighbours, are only
    /// computed when there is a joint model.
    static func prepare(captions: String, images: String, splitList: String?, words: WordVectors,
                        joint: JointModel?, data: JointDataOptions, networks: PretrainedNetworks,
                        wordAlignment: Bool = false) throws -> PreparedScorerSet {
        var result: PreparedScorerSet
        if joint != nil {
            let prepared = try PreparedSet.load(captions: captions, imageDirectory: images, splitList: splitList,
                                                networks: networks, cache: data.featureCache, threads: data.threads)
            let (scorerData, photos, texts) = prepared.scorerData(words: words, joint: joint)
            result = PreparedScorerSet(scorer: scorerData, logits: prepared.images.logits,
                                       photoEmbeddings: photos, captionEmbeddings: texts)
        } else {
            var set = try CaptionSet.load(path: captions)
            if let splitList { set = try set.restricted(toSplitList: splitList) }
            let (existing, missing) = set.restricted(toExistingIn: images)
            if missing > 0 { scorerNote("note: \(missing) captioned photos are not in \(images)") }
            guard !existing.photos.isEmpty else { throw TrainingDataError.empty(what: "the photo set from \(captions)") }
            let (aligned, features) = try networks.imageFeatures(existing, imageDirectory: images, cache: data.featureCache,
                                                                 threads: data.threads)
            let (texts, owners) = aligned.flattened
            result = PreparedScorerSet(
                scorer: ScorerTrainingData(features: features.features, featureWidth: features.featureWidth,
                                           queries: texts.map(words.encode), photoOfCaption: owners),
                logits: features.logits, photoEmbeddings: nil, captionEmbeddings: nil)
        }
        if wordAlignment {
            guard let joint else { throw ValidationError("word alignment needs a joint model") }
            let alignment = try pairAlignment(captions: captions, images: images, splitList: splitList,
                                              joint: joint, data: data, scorer: result.scorer)
            result.scorer.pairAlignment = alignment
            // The joint space as search runs it (flip-averaged photos when the model asks).
            result = PreparedScorerSet(scorer: result.scorer, logits: result.logits, photoEmbeddings: alignment.photoEmbeddings,
                                       captionEmbeddings: result.captionEmbeddings)
        }
        let oov = result.scorer.queries.reduce(0) { $0 + $1.isOOV.filter { $0 }.count }
        let tokens = result.scorer.queries.reduce(0) { $0 + $1.count }
        scorerNote("\(captions): \(result.scorer.photoCount) photos, \(result.scorer.queries.count) captions, "
                   + String(format: "%.2f%% of %d words out of vocabulary", 100 * Double(oov) / Double(max(tokens, 1)), tokens))
        return result
    }
}

extension ScorerCommandSupport {
    /// The set's region–word alignment inputs, from the photos as the joint
    /// model embeds them (flip-averaged head maps when it asks for that).
    static func pairAlignment(captions: String, images: String, splitList: String?, joint: JointModel,
                              data: JointDataOptions, scorer: ScorerTrainingData) throws -> PairWordAlignment {
        let networks = try data.networks(flip: joint.testTimeFlip, joint: joint)
        let prepared = try PreparedSet.load(captions: captions, imageDirectory: images, splitList: splitList,
                                            networks: networks, cache: data.featureCache, threads: data.threads, grid: true)
        guard prepared.photoOfCaption == scorer.photoOfCaption, let grid = prepared.grid else {
            throw ValidationError("the alignment view of \(captions) has other photos than the scorer's")
        }
        let classifier = try networks.backbone.classifierWeights()
        let alignment = try RegionWordAlignment.compute(prepared, grid: grid, model: joint, encoder: networks.sentenceEncoder,
                                                        classifier: classifier.weight, classifierBias: classifier.bias,
                                                        threads: data.threads)
        let ranges = PairWordAlignment.ranges(texts: prepared.set.flattened.texts, queries: scorer.queries,
                                              encoder: networks.sentenceEncoder)
        let matched = ranges.reduce(0) { $0 + $1.filter { $0 != nil }.count }, words = ranges.reduce(0) { $0 + $1.count }
        scorerNote(String(format: "word alignment: %.1f%% of %d words matched to their WordPiece tokens",
                          100 * Double(matched) / Double(max(words, 1)), words))
        return PairWordAlignment(alignment: alignment, ranges: ranges, photoEmbeddings: prepared.embedPhotos(joint))
    }
}

/// Scorer data of one captioned set plus what the other methods need:
/// class logits (N,K) and joint-space embeddings, photos (N,D) and captions (M,D).
struct PreparedScorerSet {
    var scorer: ScorerTrainingData
    let logits: [Float]
    let photoEmbeddings: [Float]?
    let captionEmbeddings: [Float]?
}

/// Scores a trial set with one method; joint similarity is θ·φ (both unit length).
struct IdentificationScorer {
    let data: ScorerTrainingData
    let parameters: ScorerParameters?
    let photoEmbeddings: [Float]?
    let captionEmbeddings: [Float]?
    let jointDimension: Int
    let glove: GloVeBaseline?
    let logits: [Float]

    func joint(_ caption: Int, _ photo: Int) -> Float {
        guard let p = photoEmbeddings, let c = captionEmbeddings else { return 0 }
        let d = jointDimension
        var s: Float = 0
        for j in 0..<d { s += c[caption * d + j] * p[photo * d + j] }
        return s
    }

    /// LSTM logits of the caption against the trial's two photos.
    func lstm(_ trial: IdentificationTrial) throws -> (Float, Float) {
        guard let parameters else { return (0, 0) }
        let z = try data.logits(parameters, caption: trial.caption, photos: [trial.photo, trial.distractor])
        return (z[0], z[1])
    }

    func gloveScore(_ caption: Int, _ photo: Int) -> Float {
        guard let glove else { return 0 }
        let k = logits.count / data.photoCount
        let query = GloVeBaseline.average(data.queries[caption])
        return GloVeBaseline.cosine(query, glove.photoVector(logits: logits[(photo * k)..<((photo + 1) * k)]))
    }
}
