import Foundation
import Model

/// A captioned photo set ready for evaluation or training: backbone outputs
/// per photo, sentence embeddings per caption and the tf-idf proxy.
/// N = photos, M = captions, D = sentence dimension.
public struct PreparedSet: Sendable {
    public let set: CaptionSet
    public let images: ImageFeatures
    public let sentences: [Float]       // s (M,D)
    public let photoOfCaption: [Int]    // (M)
    public let captionsOfPhoto: [[Int]] // rows of `sentences` per photo
    public let dimension: Int
    /// The photos' 7×7 head maps, loaded when a grid model needs them.
    public var grid: GridFeatures?

    /// Loads captions (COCO JSON or Flickr8k tokens), keeps the split list's
    /// photos that exist in `imageDirectory`, and computes (or reads cached)
    /// features and embeddings.
    /// With `grid`, also the photos' head maps (for grid models).
    public static func load(captions: String, imageDirectory: String, splitList: String?,
                            networks: PretrainedNetworks, cache: FeatureCache, threads: Int,
                            grid: Bool = false) throws -> PreparedSet {
        var set = try CaptionSet.load(path: captions)
        if let splitList { set = try set.restricted(toSplitList: splitList) }
        let (existing, missing) = set.restricted(toExistingIn: imageDirectory)
        if missing > 0 {
            FileHandle.standardError.write(Data("note: \(missing) captioned photos are not in \(imageDirectory); using the other \(existing.photos.count)\n".utf8))
        }
        guard !existing.photos.isEmpty else { throw TrainingDataError.empty(what: "the photo set from \(captions)") }
        let (aligned, images) = try networks.imageFeatures(existing, imageDirectory: imageDirectory, cache: cache, threads: threads)
        let (texts, owners) = aligned.flattened
        let sentences = try networks.sentenceEmbeddings(texts, cache: cache, threads: threads)
        var prepared = PreparedSet(set: aligned, images: images, sentences: sentences, photoOfCaption: owners,
                                   dimension: networks.sentenceEncoder.dimension)
        if grid {
            prepared.grid = try networks.gridFeatures(aligned, imageDirectory: imageDirectory, cache: cache, threads: threads)
        }
        return prepared
    }

    public init(set: CaptionSet, images: ImageFeatures, sentences: [Float], photoOfCaption: [Int], dimension: Int) {
        self.set = set
        self.images = images
        self.sentences = sentences
        self.photoOfCaption = photoOfCaption
        self.dimension = dimension
        var rows = [[Int]](repeating: [], count: set.photos.count)
        for (caption, photo) in photoOfCaption.enumerated() { rows[photo].append(caption) }
        captionsOfPhoto = rows
    }

    /// Training view with bridge vectors computed by `bridge`.
    public func trainingData(bridge: ZeroShotBridge) -> JointTrainingData {
        JointTrainingData(features: images.features, bridge: bridge.forward(logits: images.logits, batch: images.count),
                          sentences: sentences, captionsOfPhoto: captionsOfPhoto,
                          featureWidth: images.featureWidth, dimension: dimension, grid: grid)
    }

    /// φ (N,D) of every photo; a grid model reads the grids 100 photos at a time.
    public func embedPhotos(_ model: JointModel) -> [Float] {
        guard model.needsGrid else {
            return model.embedImages(features: images.features, logits: images.logits, batch: images.count)
        }
        guard let grid else { preconditionFailure("PreparedSet: a grid model needs the set loaded with grid: true") }
        var out = [Float]()
        out.reserveCapacity(images.count * model.dimension)
        let k = images.classCount
        for start in stride(from: 0, to: images.count, by: 100) {
            let end = min(start + 100, images.count)
            let logits = Array(images.logits[(start * k)..<(end * k)])
            out += model.embedImages(features: [], logits: logits, grid: grid.gather(range: start..<end), batch: end - start)
        }
        return out
    }

    /// Image→image Recall@K against the tf-idf caption proxy: the share of
    /// photos whose most caption-similar other photo is among their K
    /// nearest photos in the joint space (itself excluded).
    public func imageRecall(photoEmbeddings: [Float], dimension d: Int, ks: [Int] = [1, 5, 10]) -> [Int: Double] {
        let n = images.count
        guard n > 1 else { return [:] }
        let proxy = CaptionSimilarity(captions: set.captions, model: TfIdfModel(documents: set.captions), neighbourCount: 0).matrix()
        let predicted = matmul(photoEmbeddings, photoEmbeddings, m: n, n: n, k: d, transposeB: true)
        var hits = [Int: Int]()
        for i in 0..<n {
            var target = -1, best = -Float.infinity
            for j in 0..<n where j != i && proxy[i * n + j] > best { (target, best) = (j, proxy[i * n + j]) }
            let score = predicted[i * n + target]
            var rank = 1
            for j in 0..<n where j != i && j != target && predicted[i * n + j] > score { rank += 1 }
            for k in ks where rank <= k { hits[k, default: 0] += 1 }
        }
        return Dictionary(uniqueKeysWithValues: ks.map { ($0, Double(hits[$0] ?? 0) / Double(n)) })
    }

    /// Text→image recall and median rank of `model`, plus image→image NDCG@10
    /// against the tf-idf proxy of this set's captions (IDF from this set).
    public func evaluate(_ model: JointModel, withProxy: Bool = true) -> RetrievalMetrics {
        let photos = embedPhotos(model)
        let queries = model.embedTexts(sentenceEmbeddings: sentences, batch: photoOfCaption.count)
        return evaluate(photoEmbeddings: photos, queryEmbeddings: queries, dimension: model.dimension, withProxy: withProxy)
    }

    /// The same for precomputed embeddings: photos (N,d), queries (M,d).
    public func evaluate(photoEmbeddings: [Float], queryEmbeddings: [Float], dimension d: Int,
                         withProxy: Bool = true) -> RetrievalMetrics {
        let ranks = retrievalRanks(queries: queryEmbeddings, photos: photoEmbeddings, dimension: d, photoOfQuery: photoOfCaption)
        var ndcg: Double?
        if withProxy {
            let n = images.count
            let proxy = CaptionSimilarity(captions: set.captions, model: TfIdfModel(documents: set.captions), neighbourCount: 0)
            let predicted = matmul(photoEmbeddings, photoEmbeddings, m: n, n: n, k: d, transposeB: true)
            ndcg = meanNDCG(predicted: predicted, relevance: proxy.matrix(), count: n, k: 10)
        }
        return RetrievalMetrics(ranks: ranks, photos: images.count, proxyNDCGAt10: ndcg)
    }

    /// Chance level: random unit vectors for photos and queries.
    public func evaluateRandom(seed: UInt64, dimension d: Int = 384) -> RetrievalMetrics {
        var rng = SeededGenerator(seed: seed)
        func randomRows(_ n: Int) -> [Float] {
            var rows = (0..<(n * d)).map { _ in Float.random(in: -1...1, using: &rng) }
            for r in 0..<n {
                let norm = (0..<d).reduce(Float(0)) { $0 + rows[r * d + $1] * rows[r * d + $1] }.squareRoot()
                for j in 0..<d { rows[r * d + j] /= norm }
            }
            return rows
        }
        return evaluate(photoEmbeddings: randomRows(images.count), queryEmbeddings: randomRows(photoOfCaption.count), dimension: d)
    }
}
