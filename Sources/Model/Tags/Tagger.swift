/// A photo's tags for people: the ranker's greedy list, most important first.
public struct Tagger: Sendable {
    public let parameters: TagParameters
    public let tags: [String]
    public let modelID: String
    /// At most this many tags per photo (what the index stores).
    public static let maxTags = 8

    public init(file: TaggerFile) {
        parameters = file.parameters
        tags = file.tags
        modelID = file.metadata["model_id"] ?? "?"
    }

    public init(path: String) throws { self.init(file: try TaggerFile.load(from: path)) }

    public var featureSize: Int { parameters.shape.featureSize }

    /// feature (F) → (tag name, step probability), best first, until the
    /// ranker emits its end token.
    public func tags(feature: [Float], maxTags: Int = Tagger.maxTags) throws -> [(tag: String, score: Float)] {
        try parameters.decode(features: feature, count: 1, maxTags: maxTags, stopAtEnd: true)[0].map { (tags[$0.tag], $0.score) }
    }
}
