import Index

/// A photo's place in the joint space and the backbone feature behind it,
/// with what the decoder learnt about the file on the way.
public struct PhotoEmbedding: Sendable {
    /// Joint-space vector (D), L2-normalised.
    public var vector: [Float]
    /// Backbone feature (1280), the LSTM scorer's first input (reranking, explanations).
    public var feature: [Float]
    /// The EXIF capture date, when the file records one.
    public var taken: CaptureTime?
    /// The decoded format's name ("jpeg", "png", "heic", …); empty when unknown.
    public var format: String
    /// The tagger's tags, best first; nil when no tagger is installed.
    public var tags: [PhotoTag]?
    /// The reranker's cells of the photo; nil without a reranker.
    public var cells: PhotoCells?

    public init(vector: [Float], feature: [Float], taken: CaptureTime? = nil, format: String = "", tags: [PhotoTag]? = nil,
                cells: PhotoCells? = nil) {
        self.cells = cells
        self.vector = vector
        self.feature = feature
        self.taken = taken
        self.format = format
        self.tags = tags
    }
}

/// Turns photos and query texts into joint-space vectors. The daemon only
/// knows this protocol, so it is tested with a deterministic stand-in and
/// runs with `ModelEmbedder` (the real networks).
public protocol PhotoEmbedder: Sendable {
    /// Identifies the weights; a change makes the daemon re-embed everything.
    var modelID: String { get }
    /// D, the joint-space dimension.
    var dimension: Int { get }
    /// Length of the backbone feature stored with each photo (1280 for EfficientNet-Lite0).
    var featureDimension: Int { get }
    /// One result per path, in order. Never throws for one bad photo: its
    /// slot holds the error (corrupt, truncated, too large, unreadable, gone).
    func embed(imagesAt paths: [String]) -> [Result<PhotoEmbedding, any Error>]
    /// Text → (D) joint-space vector, L2-normalised.
    func embedQuery(_ text: String) throws -> [Float]
    /// Several texts at once, in order (a default calls `embedQuery` for each).
    func embedQueries(_ texts: [String]) throws -> [[Float]]
    /// Text-search scores below this are almost surely unrelated (calibrated
    /// with the model; nil: the model has no cutoff and every hit is kept).
    var relevanceCutoff: Float? { get }
    /// Reorders the head of text-search results (nil: the joint order stands).
    var reranker: (any SearchReranker)? { get }
    /// Stops decodes in flight and refuses later ones (`ImageError.cancelled`),
    /// so a stop does not wait for a slow or hostile photo.
    func cancelDecoding()
}

extension PhotoEmbedder {
    /// Several texts at once, in order: the server embeds the queries waiting
    /// together, which costs an encoder less than one call per text.
    public func embedQueries(_ texts: [String]) throws -> [[Float]] { try texts.map(embedQuery) }
    public func cancelDecoding() {}
    public var relevanceCutoff: Float? { nil }
    public var reranker: (any SearchReranker)? { nil }
}
