/// One of a photo's tags as the index keeps it: the name and the tagger's
/// score quantised to 1/255 (the score only orders and filters, so a byte is
/// enough). Names, not vocabulary ids, are stored so a new tagger with
/// another vocabulary never makes old records say something else.
public struct PhotoTag: Sendable, Equatable {
    public var name: String
    /// round(score × 255), score in [0, 1].
    public var quantisedScore: UInt8

    public init(name: String, quantisedScore: UInt8) {
        self.name = name
        self.quantisedScore = quantisedScore
    }

    public init(name: String, score: Float) {
        self.init(name: name, quantisedScore: UInt8(clamping: Int((min(max(score, 0), 1) * 255).rounded())))
    }

    public var score: Float { Float(quantisedScore) / 255 }

    /// A photo keeps at most this many tags; a name at most this many bytes.
    public static let maximumCount = 16
    public static let maximumNameBytes = 64
}
