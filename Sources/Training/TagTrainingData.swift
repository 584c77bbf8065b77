import Model

/// Photos with their features and ordered tag lists: what the tag ranker
/// trains on and is judged against. features (N,F); lists[i] for photo i.
public struct TagTrainingData: Sendable {
    public let photos: [String]
    public let features: [Float]
    public let featureWidth: Int
    /// Tag ids, most important first (every tag the captions mention).
    public let lists: [[Int]]

    public init(photos: [String], features: [Float], featureWidth: Int, lists: [[Int]]) {
        precondition(features.count == photos.count * featureWidth && lists.count == photos.count, "TagTrainingData: shapes")
        self.photos = photos
        self.features = features
        self.featureWidth = featureWidth
        self.lists = lists
    }

    /// Ground truth of a captioned set whose photos' features are `features` (same order).
    public init(set: CaptionSet, features: ImageFeatures, vocabulary: TagGroundTruth, lexicon: TagLexicon) {
        precondition(set.photos == features.photos, "TagTrainingData: captions and features disagree")
        self.init(photos: set.photos, features: features.features, featureWidth: features.featureWidth,
                  lists: set.captions.map { vocabulary.orderedTags(captions: $0, lexicon: lexicon) })
    }

    public var count: Int { photos.count }

    /// Rows (B,F) of the given photos.
    public func features(_ indices: [Int]) -> [Float] {
        var rows: [Float] = []
        rows.reserveCapacity(indices.count * featureWidth)
        for i in indices { rows.append(contentsOf: features[(i * featureWidth)..<((i + 1) * featureWidth)]) }
        return rows
    }

    /// The photos at `indices` (a dev part, a photo without tags dropped).
    public func restricted(to indices: [Int]) -> TagTrainingData {
        TagTrainingData(photos: indices.map { photos[$0] }, features: features(indices), featureWidth: featureWidth,
                        lists: indices.map { lists[$0] })
    }

    /// Only photos with at least one tag (nothing to rank otherwise).
    public var tagged: TagTrainingData { restricted(to: lists.indices.filter { !lists[$0].isEmpty }) }
}
