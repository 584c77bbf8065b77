import Foundation
import Model

extension PreparedSet {
    /// The scorer's view of this set: captions encoded with GloVe and, when a
    /// joint model is given, each caption's `hardNegativeCount` nearest other
    /// photos in the joint space. Also returns the joint-space embeddings
    /// (photos (N,D), captions (M,D)) for the combined method, or nil.
    public func scorerData(words: WordVectors, joint: JointModel?, hardNegativeCount: Int = 20)
        -> (data: ScorerTrainingData, photoEmbeddings: [Float]?, captionEmbeddings: [Float]?) {
        let (texts, owners) = set.flattened
        precondition(owners == photoOfCaption, "PreparedSet captions are out of order")
        let queries = texts.map(words.encode)
        guard let joint else {
            return (ScorerTrainingData(features: images.features, featureWidth: images.featureWidth,
                                       queries: queries, photoOfCaption: owners), nil, nil)
        }
        let photos = joint.embedImages(features: images.features, logits: images.logits, batch: images.count)
        let captions = joint.embedTexts(sentenceEmbeddings: sentences, batch: owners.count)
        let hard = nearestPhotos(queries: captions, photos: photos, dimension: joint.dimension, ownPhoto: owners,
                                 count: min(hardNegativeCount, max(images.count - 1, 0)))
        let data = ScorerTrainingData(features: images.features, featureWidth: images.featureWidth, queries: queries,
                                      photoOfCaption: owners, hardNegatives: hard)
        return (data, photos, captions)
    }
}

/// The averaged-GloVe baseline (after Feng & Kim's, who compare the query with
/// a generated caption): a photo's "text" is the probability-weighted average
/// of the GloVe vectors of its top ImageNet class names; the score is the
/// cosine with the query's averaged known words.
public struct GloVeBaseline: Sendable {
    /// class vectors (K,E): each class name's averaged word vector.
    let classVectors: [Float]
    let dimension: Int
    let topClasses: Int

    public init(classNames: [String], words: WordVectors, topClasses: Int = 5) {
        dimension = words.dimension
        self.topClasses = topClasses
        classVectors = classNames.flatMap { Self.average(words.encode($0)) }
    }

    /// mean (E) of the known words' vectors (zeros when none is known).
    public static func average(_ query: EncodedQuery) -> [Float] {
        let e = query.dimension
        var sum = [Float](repeating: 0, count: e)
        var known = 0
        for t in 0..<query.count where !query.isOOV[t] {
            known += 1
            for d in 0..<e { sum[d] += query.vectors[t * e + d] }
        }
        return known > 0 ? sum.map { $0 / Float(known) } : sum
    }

    /// The photo's text vector (E) from its class logits (K).
    public func photoVector(logits: ArraySlice<Float>) -> [Float] {
        let peak = logits.max() ?? 0
        let ranked = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(topClasses)
        var out = [Float](repeating: 0, count: dimension)
        for k in ranked {
            let w = expf(logits[k] - peak)
            let c = k - logits.startIndex
            for d in 0..<dimension { out[d] += w * classVectors[c * dimension + d] }
        }
        return out
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let na = dot(a, a).squareRoot(), nb = dot(b, b).squareRoot()
        return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0
    }
}
