import Model

/// Photos with their features and ordered tag lists: what the tag ranker
/// trains on and is judged against. features (N,F); lists[i] for photo i.
public struct TagTrainingData: Sendable {
    public let photos: [String]
    public let features: [Float]
    public let featureWidth: Int
    /// Tag ids, most important first (every tag the captions mention).
    public let lists: [[Int]]
    /// The photos' head maps (K,F), for a grid-attended ranker; photo i is
    /// the grid's caller row gridRows[i].
    public let grid: GridFeatures?
    let gridRows: [Int]

    public init(photos: [String], features: [Float], featureWidth: Int, lists: [[Int]],
                grid: GridFeatures? = nil, gridRows: [Int]? = nil) {
        precondition(features.count == photos.count * featureWidth && lists.count == photos.count, "TagTrainingData: shapes")
        self.photos = photos
        self.features = features
        self.featureWidth = featureWidth
        self.lists = lists
        self.grid = grid
        self.gridRows = gridRows ?? Array(photos.indices)
        precondition(grid == nil || self.gridRows.count == photos.count, "TagTrainingData: grid rows")
    }

    /// The same photos with their head maps (`grid` in this data's photo order).
    public func with(grid: GridFeatures) -> TagTrainingData {
        precondition(grid.count == count && grid.featureWidth == featureWidth, "TagTrainingData: grid of \(grid.count) for \(count) photos")
        return TagTrainingData(photos: photos, features: features, featureWidth: featureWidth, lists: lists, grid: grid)
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

    /// What a ranker with `cells` cells reads for the photos at `indices`:
    /// the pooled features (B,F) for 1, the head maps (B,K,F) otherwise.
    public func inputs(_ indices: [Int], cells: Int) throws -> [Float] {
        guard cells > 1 else { return features(indices) }
        guard let grid, grid.cells == cells else {
            throw TrainingDataError.empty(what: "the \(cells)-cell head maps the tagger reads (have \(grid.map { "\($0.cells)" } ?? "none"))")
        }
        return grid.gather(indices.map { gridRows[$0] })
    }

    /// The photos at `indices` (a dev part, a photo without tags dropped).
    public func restricted(to indices: [Int]) -> TagTrainingData {
        TagTrainingData(photos: indices.map { photos[$0] }, features: features(indices), featureWidth: featureWidth,
                        lists: indices.map { lists[$0] }, grid: grid, gridRows: indices.map { gridRows[$0] })
    }

    /// Only photos with at least one tag (nothing to rank otherwise).
    public var tagged: TagTrainingData { restricted(to: lists.indices.filter { !lists[$0].isEmpty }) }
}
