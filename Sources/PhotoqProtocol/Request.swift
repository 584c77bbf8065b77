/// Restricts which photos a search may return.
public struct SearchFilters: Codable, Sendable, Equatable {
    /// Only photos whose path starts with this folder (absolute, no trailing slash needed).
    public var folder: String?
    /// Only photos taken at or after this time (seconds since 1970); a photo
    /// without a capture date counts by its modification time. (The wire
    /// name is older than capture dates.)
    public var modifiedAfter: Double?
    /// Only photos taken (else modified) before this time (seconds since 1970).
    public var modifiedBefore: Double?
    /// Only photos carrying every one of these tags (names as `photoq --tags`
    /// prints them); photos without tags never match. Absent: no tag filter.
    public var tags: [String]?

    public init(folder: String? = nil, modifiedAfter: Double? = nil, modifiedBefore: Double? = nil, tags: [String]? = nil) {
        self.folder = folder
        self.modifiedAfter = modifiedAfter
        self.modifiedBefore = modifiedBefore
        self.tags = tags
    }
}

/// A photo named by its index id or by its path.
public struct PhotoReference: Codable, Sendable, Equatable {
    public var id: UInt64?
    public var path: String?

    public init(id: UInt64) { self.id = id; self.path = nil }
    public init(path: String) { self.id = nil; self.path = path }
}

/// Text query: the nearest photos to the text's joint-space embedding.
public struct SearchRequest: Codable, Sendable, Equatable {
    public var text: String
    public var k: Int
    public var filters: SearchFilters
    /// Return each hit's backbone feature too (for scoring in a client; photoqd reranks itself),
    /// for the first `Wire.maximumFeatureHits` hits.
    public var includeFeatures: Bool?
    /// Drop hits scoring below this (−1...1); nil: the model's calibrated
    /// relevance cutoff, if it has one; −1 keeps everything.
    public var minScore: Double?
    /// false: keep the joint space's order even when photoqd has a
    /// reranker; nil or true: rerank the head when it has one.
    public var rerank: Bool?

    public init(text: String, k: Int, filters: SearchFilters = SearchFilters(), includeFeatures: Bool? = nil,
                minScore: Double? = nil, rerank: Bool? = nil) {
        self.rerank = rerank
        self.text = text
        self.k = k
        self.filters = filters
        self.includeFeatures = includeFeatures
        self.minScore = minScore
    }
}

/// Query by example: the photo's vector alone (V), or plus a text (V+T).
public struct SimilarRequest: Codable, Sendable, Equatable {
    public var photo: PhotoReference
    public var text: String?
    public var k: Int
    public var filters: SearchFilters
    /// Return each hit's backbone feature too (for scoring in a client).
    public var includeFeatures: Bool?
    /// Drop hits scoring below this (−1...1); nil keeps every hit (the
    /// calibrated cutoff is for text queries only).
    public var minScore: Double?

    public init(photo: PhotoReference, text: String? = nil, k: Int, filters: SearchFilters = SearchFilters(),
                includeFeatures: Bool? = nil, minScore: Double? = nil) {
        self.photo = photo
        self.text = text
        self.k = k
        self.filters = filters
        self.includeFeatures = includeFeatures
        self.minScore = minScore
    }
}

/// One photo's stored record, for explaining in the client.
public struct GetRequest: Codable, Sendable, Equatable {
    public var photo: PhotoReference
    public init(photo: PhotoReference) { self.photo = photo }
}

/// Re-embed photos: everything under the roots, or only those that failed.
public struct ReindexRequest: Codable, Sendable, Equatable {
    public var failedOnly: Bool
    public init(failedOnly: Bool = false) { self.failedOnly = failedOnly }
}

/// A page of the files that are not indexed: failed ones, then skipped ones.
public struct FailuresRequest: Codable, Sendable, Equatable {
    public var offset: Int
    public var limit: Int
    public init(offset: Int = 0, limit: Int = FailuresRequest.maximumLimit) {
        self.offset = offset
        self.limit = limit
    }

    /// Entries per page at most: each is a path and a reason, well under `Wire.maximumResponseBytes`.
    public static let maximumLimit = 2000
}

/// A request from photoq (or any client) to photoqd.
public enum Request: Sendable, Equatable {
    case search(SearchRequest)
    case similar(SimilarRequest)
    case get(GetRequest)
    case status
    case reindex(ReindexRequest)
    case failures(FailuresRequest)

    public var method: String {
        switch self {
        case .search: "search"
        case .similar: "similar"
        case .get: "get"
        case .status: "status"
        case .reindex: "reindex"
        case .failures: "failures"
        }
    }
}

/// `{"version": 1, "id": 7, "method": "search", "params": {...}}`
public struct RequestEnvelope: Sendable, Equatable {
    public var version: Int
    public var id: Int
    public var request: Request

    public init(id: Int, request: Request, version: Int = Wire.version) {
        self.version = version
        self.id = id
        self.request = request
    }
}

extension RequestEnvelope: Codable {
    private enum CodingKeys: String, CodingKey { case version, id, method, params }

    /// Raised by decoding when the method is not known, so the server can
    /// answer `unknown_method` instead of `malformed_request`.
    public struct UnknownMethod: Error { public var method: String }
    /// Raised by decoding when the version differs, before the body is read.
    public struct UnsupportedVersion: Error { public var version: Int }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        guard version == Wire.version else { throw UnsupportedVersion(version: version) }
        id = try c.decodeIfPresent(Int.self, forKey: .id) ?? 0
        let method = try c.decode(String.self, forKey: .method)
        switch method {
        case "search": request = .search(try c.decode(SearchRequest.self, forKey: .params))
        case "similar": request = .similar(try c.decode(SimilarRequest.self, forKey: .params))
        case "get": request = .get(try c.decode(GetRequest.self, forKey: .params))
        case "status": request = .status
        case "reindex":
            request = .reindex(try c.decodeIfPresent(ReindexRequest.self, forKey: .params) ?? ReindexRequest())
        case "failures":
            request = .failures(try c.decodeIfPresent(FailuresRequest.self, forKey: .params) ?? FailuresRequest())
        default: throw UnknownMethod(method: method)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(id, forKey: .id)
        try c.encode(request.method, forKey: .method)
        switch request {
        case .search(let p): try c.encode(p, forKey: .params)
        case .similar(let p): try c.encode(p, forKey: .params)
        case .get(let p): try c.encode(p, forKey: .params)
        case .status: break
        case .reindex(let p): try c.encode(p, forKey: .params)
        case .failures(let p): try c.encode(p, forKey: .params)
        }
    }
}
