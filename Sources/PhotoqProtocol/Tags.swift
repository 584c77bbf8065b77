/// One of a photo's tags on the wire, most important first in any list.
public struct TagScore: Codable, Sendable, Equatable {
    public var tag: String
    /// The tagger's probability for the tag at its step, in [0, 1].
    public var score: Float

    public init(tag: String, score: Float) {
        self.tag = tag
        self.score = score
    }

    /// A tag filter has at most this many names.
    public static let maximumFilterTags = 16
    /// A tag name is at most this many bytes.
    public static let maximumTagBytes = 64
}
