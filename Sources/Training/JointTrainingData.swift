import Model

/// Everything training reads, precomputed: per photo its backbone feature,
/// bridge vector and caption rows; per caption its sentence embedding.
/// N = photos, M = captions, F = feature width, D = joint dimension.
public struct JointTrainingData: Sendable {
    public let features: [Float]  // f (N,F)
    public let bridge: [Float]    // b (N,D)
    public let sentences: [Float] // s (M,D)
    public let captionsOfPhoto: [[Int]]
    public let featureWidth: Int
    public let dimension: Int
    /// The photos' head maps, for grid models.
    public let grid: GridFeatures?
    public var photoCount: Int { captionsOfPhoto.count }
    public var captionCount: Int { sentences.count / dimension }

    public init(features: [Float], bridge: [Float], sentences: [Float], captionsOfPhoto: [[Int]],
                featureWidth: Int, dimension: Int, grid: GridFeatures? = nil) {
        let n = captionsOfPhoto.count
        precondition(features.count == n * featureWidth && bridge.count == n * dimension
                     && sentences.count % dimension == 0, "JointTrainingData: shapes")
        self.features = features
        self.bridge = bridge
        self.sentences = sentences
        self.captionsOfPhoto = captionsOfPhoto
        self.featureWidth = featureWidth
        self.dimension = dimension
        self.grid = grid
    }

    /// Gathers rows of a (rows,width) matrix.
    static func gather(_ matrix: [Float], width: Int, rows: [Int]) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(rows.count * width)
        for r in rows { out.append(contentsOf: matrix[(r * width)..<((r + 1) * width)]) }
        return out
    }
}
