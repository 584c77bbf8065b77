/// Backbone outputs for a set of photos, row i belonging to photos[i].
/// F = feature width (1280), K = classes (1000).
public struct ImageFeatures: Sendable {
    public var photos: [String]
    public var features: [Float]  // (N,F)
    public var logits: [Float]    // (N,K)
    public let featureWidth: Int
    public let classCount: Int

    public init(photos: [String], features: [Float], logits: [Float], featureWidth: Int, classCount: Int) {
        precondition(features.count == photos.count * featureWidth && logits.count == photos.count * classCount,
                     "ImageFeatures: shapes")
        self.photos = photos
        self.features = features
        self.logits = logits
        self.featureWidth = featureWidth
        self.classCount = classCount
    }

    public var count: Int { photos.count }

    /// Rows for `indices`, in that order.
    public func rows(_ indices: [Int]) -> (features: [Float], logits: [Float]) {
        var f = [Float](), l = [Float]()
        f.reserveCapacity(indices.count * featureWidth)
        l.reserveCapacity(indices.count * classCount)
        for i in indices {
            f.append(contentsOf: features[(i * featureWidth)..<((i + 1) * featureWidth)])
            l.append(contentsOf: logits[(i * classCount)..<((i + 1) * classCount)])
        }
        return (f, l)
    }
}
