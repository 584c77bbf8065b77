/// A photo's tags for people: the ranker's greedy list, most important first,
/// cut where the ranker's confidence falls below the file's `tag_cutoff`.
public struct Tagger: Sendable {
    public let parameters: TagParameters
    public let tags: [String]
    public let modelID: String
    /// Tags after the first whose step probability is below this are not
    /// listed (chosen on the dev tuning half; nil in files from before it).
    public let cutoff: Float?
    /// The backbone whose features the ranker was trained on.
    public let backbone: BackboneChoice
    /// At most this many tags per photo (what the index stores).
    public static let maxTags = 8

    public init(file: TaggerFile, path: String = "tagger") throws {
        backbone = try BackboneChoice(metadata: file.metadata, path: path)
        parameters = file.parameters
        tags = file.tags
        modelID = file.metadata["model_id"] ?? "?"
        cutoff = file.metadata[TaggerFile.cutoffKey].flatMap(Float.init).flatMap { (0..<1).contains($0) ? $0 : nil }
    }

    public init(path: String) throws { try self.init(file: try TaggerFile.load(from: path), path: path) }

    public var featureSize: Int { parameters.shape.featureSize }
    /// Whether the ranker reads the backbone's head map (K,F) instead of the pooled feature.
    public var needsGrid: Bool { parameters.shape.cells > 1 }
    /// Values per photo `tags(feature:)` takes: K·F.
    public var inputValues: Int { parameters.shape.inputValues }

    /// input (K·F: the pooled feature, or the head map with `needsGrid`) →
    /// (tag name, step probability), best first, until the ranker emits its
    /// end token or (after the first) a tag's probability is below `cutoff`.
    public func tags(feature: [Float], maxTags: Int = Tagger.maxTags) throws -> [(tag: String, score: Float)] {
        let listed = try parameters.decode(features: feature, count: 1, maxTags: maxTags, stopAtEnd: true)[0]
        return Self.cut(listed, below: cutoff).map { (tags[$0.tag], $0.score) }
    }

    /// The list up to the first tag after the first whose score is below `cutoff`.
    public static func cut(_ list: [(tag: Int, score: Float)], below cutoff: Float?) -> [(tag: Int, score: Float)] {
        guard let cutoff, let end = list.indices.dropFirst().first(where: { list[$0].score < cutoff }) else { return list }
        return Array(list[..<end])
    }
}
