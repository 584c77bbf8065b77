/// Constants of the photoqd socket protocol.
///
/// Every message is one frame: a 4-byte big-endian length followed by that
/// many bytes of UTF-8 JSON. Every JSON message carries `version`; a peer that
/// sees a version it does not speak answers `unsupported_version`.
public enum Wire {
    /// Bumped on any incompatible change of the messages below.
    public static let version = 1

    /// Requests are small (a query text and a few options); anything larger
    /// is refused before it is read, so a client cannot make the daemon buffer
    /// arbitrary amounts of memory.
    public static let maximumRequestBytes = 64 * 1024

    /// Responses carry at most k hits or one photo's vector and feature.
    public static let maximumResponseBytes = 32 * 1024 * 1024

    /// The largest k a search may ask for.
    public static let maximumResults = 10_000

    /// With `includeFeatures`, only the first this many hits carry their
    /// backbone feature (a reranker reorders the head of the list), so that
    /// k = `maximumResults` stays well under `maximumResponseBytes`.
    public static let maximumFeatureHits = 1000

    /// The longest query text, in UTF-8 bytes (a sentence, not a document).
    public static let maximumTextBytes = 4096

    /// The longest photo or folder path, in UTF-8 bytes (Linux's PATH_MAX).
    public static let maximumPathBytes = 4096
}
