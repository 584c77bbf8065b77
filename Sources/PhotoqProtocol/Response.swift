/// One search or similarity hit.
public struct SearchHit: Codable, Sendable, Equatable {
    public var id: UInt64
    /// The path for people: exact for UTF-8 names, `\xHH` escapes otherwise (`PathBytes.display`).
    public var path: String
    /// The exact bytes, base64, only when the name is not UTF-8 (`path_bytes`).
    public var pathBytes: String?
    /// Cosine similarity in the joint space, higher is better.
    public var score: Float
    /// Modification time, seconds since 1970.
    public var modified: Double
    /// Backbone feature (1280), only when the request asked for it.
    public var feature: [Float]?
    /// When the photo was taken (ISO 8601, with the UTC offset when the file
    /// records one); nil when unknown. Absent from older daemons.
    public var taken: String?
    /// The file's format ("jpeg", "png", "webp", "heic", "avif", "tiff",
    /// "gif", "bmp", "raw"); nil when unknown or from an older daemon.
    public var format: String?
    /// Byte-identical copies of this photo at other paths (each with the
    /// same score, without features or copies of its own), folded into this
    /// result; nil from older daemons.
    public var also: [SearchHit]?
    /// The photo's tags, most important first; nil when it has not been
    /// tagged (no tagger installed, indexed before one was) or from older daemons.
    public var tags: [TagScore]?

    /// - Parameter path: the daemon's lossless path (`PathBytes`); split here
    ///   into `path` and `pathBytes`.
    public init(id: UInt64, path: String, score: Float, modified: Double, feature: [Float]? = nil,
                taken: String? = nil, format: String? = nil, also: [SearchHit]? = nil, tags: [TagScore]? = nil) {
        self.id = id
        (self.path, self.pathBytes) = PathBytes.wireFields(path)
        self.score = score
        self.modified = modified
        self.feature = feature
        self.taken = taken
        self.format = format
        self.also = also
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case id, path, pathBytes = "path_bytes", score, modified, feature, taken, format, also, tags
    }

    /// This hit and then each folded copy, every one as a hit of its own (no `also`).
    public var everyCopy: [SearchHit] {
        var primary = self
        primary.also = nil
        return [primary] + (also ?? []).map { var copy = $0; copy.also = nil; return copy }
    }
}

public struct SearchResult: Codable, Sendable, Equatable {
    /// Best first.
    public var hits: [SearchHit]
    /// Photos found but not searchable yet (still being indexed); absent from older daemons.
    public var pending: Int?
    /// The score cutoff this search applied (absent: none).
    public var minScore: Double?
    /// Hits among the k nearest that the cutoff dropped.
    public var belowMinScore: Int?
    /// True when the head of `hits` is in the reranker's order (scores stay
    /// the joint space's); absent when it is the joint order.
    public var reranked: Bool?
    public init(hits: [SearchHit], pending: Int? = nil, minScore: Double? = nil, belowMinScore: Int? = nil,
                reranked: Bool? = nil) {
        self.reranked = reranked
        self.hits = hits
        self.pending = pending
        self.minScore = minScore
        self.belowMinScore = belowMinScore
    }
}

/// A stored photo: what the client needs to explain a match.
public struct PhotoRecordResult: Codable, Sendable, Equatable {
    public var id: UInt64
    /// As in `SearchHit`: for people, with `pathBytes` exact when not UTF-8.
    public var path: String
    public var pathBytes: String?
    public var size: Int64
    public var modified: Double
    public var modelID: String
    /// Joint-space vector, (D).
    public var vector: [Float]
    /// Backbone feature (1280).
    public var feature: [Float]
    /// As in `SearchHit`: best first, nil when the photo has not been tagged.
    public var tags: [TagScore]?

    public init(id: UInt64, path: String, size: Int64, modified: Double, modelID: String,
                vector: [Float], feature: [Float], tags: [TagScore]? = nil) {
        self.id = id
        (self.path, self.pathBytes) = PathBytes.wireFields(path)
        self.size = size
        self.modified = modified
        self.modelID = modelID
        self.vector = vector
        self.feature = feature
        self.tags = tags
    }

    enum CodingKeys: String, CodingKey {
        case id, path, pathBytes = "path_bytes", size, modified, modelID, vector, feature, tags
    }
}

/// What the daemon is doing.
public struct StatusResult: Codable, Sendable, Equatable {
    public var indexed: Int
    /// Files found but not yet embedded (queued or being embedded).
    public var pending: Int
    /// Files recorded as failed (not retried until they change).
    public var failed: Int
    public var modelID: String
    public var dimension: Int
    public var roots: [String]
    /// Roots that are not there now (unmounted, moved, deleted); their
    /// photos stay in the index, hidden from results, until they return.
    /// Absent from older daemons.
    public var rootsMissing: [String]?
    /// Indexed photos hidden because their root is missing.
    public var hidden: Int?
    /// "starting", "scanning", "watching", "polling" (inotify watches exhausted) or "stopping".
    public var watcher: String
    public var watches: Int
    public var uptimeSeconds: Double
    public var pid: Int32
    /// Why new photos are not being committed (the index's disk is full:
    /// "disk full: …"); they stay pending and are retried. Absent when indexing runs.
    public var indexingPaused: String?
    /// Failed photos by class: "damaged", "truncated", "corrupt", "over-budget",
    /// "too-large", "not-a-photo", "unsupported", "unreadable", "other". Absent when none failed.
    public var failedByReason: [String: Int]?
    /// Files the scan met and left out on purpose (not a photo format, a
    /// video, too small, hidden, excluded, a symlink); not counted in `failed`.
    public var skipped: Int?
    /// Failed and skipped files by class: the failure classes plus
    /// "unsupported format", "video", "too small", "hidden", "excluded",
    /// "symlink", "symlink outside roots".
    public var byReason: [String: Int]?
    /// "scanning", "embedding" (photos pending) or "idle".
    public var indexing: String?
    /// Indexed photos by format: "jpeg", "png", "webp", "heic", "avif",
    /// "tiff", "gif", "bmp", "raw" (every one present). Absent from older daemons.
    public var byFormat: [String: Int]?
    /// A new model re-embedding the library in the background, while
    /// `modelID` (the old one) answers searches. Absent when none is under way.
    public var reembedding: ReembeddingStatus?

    public init(indexed: Int, pending: Int, failed: Int, modelID: String, dimension: Int, roots: [String],
                watcher: String, watches: Int, uptimeSeconds: Double, pid: Int32) {
        self.indexed = indexed
        self.pending = pending
        self.failed = failed
        self.modelID = modelID
        self.dimension = dimension
        self.roots = roots
        self.watcher = watcher
        self.watches = watches
        self.uptimeSeconds = uptimeSeconds
        self.pid = pid
    }
}

/// One file that is not indexed, and why (`failures`).
public struct FailureEntry: Codable, Sendable, Equatable {
    /// For people, with `pathBytes` exact when the name is not UTF-8 (as in `SearchHit`).
    public var path: String
    public var pathBytes: String?
    /// The class it is counted under ("damaged", "video", "too small", …).
    public var reason: String
    /// What exactly went wrong, or why it was left out.
    public var detail: String
    /// True for a file left out on purpose, false for one that failed.
    public var skipped: Bool

    public init(path: String, reason: String, detail: String, skipped: Bool) {
        (self.path, self.pathBytes) = PathBytes.wireFields(path)
        self.reason = reason
        self.detail = detail
        self.skipped = skipped
    }

    enum CodingKeys: String, CodingKey { case path, pathBytes = "path_bytes", reason, detail, skipped }
}

/// A page of failed and skipped files, failed first, each in path order.
public struct FailuresResult: Codable, Sendable, Equatable {
    public var entries: [FailureEntry]
    /// Failed plus skipped files in all.
    public var total: Int
    /// Where the next page starts; absent after the last.
    public var nextOffset: Int?

    public init(entries: [FailureEntry], total: Int, nextOffset: Int?) {
        self.entries = entries
        self.total = total
        self.nextOffset = nextOffset
    }
}

public struct ReindexResult: Codable, Sendable, Equatable {
    /// Files queued for embedding (a rescan may queue more later).
    public var queued: Int
    public init(queued: Int) { self.queued = queued }
}

/// `{"version": 1, "id": 7, "result": {...}}` or `{"version": 1, "id": 7, "error": {"code": ..., "message": ...}}`.
/// The client knows which result type its request expects, so the envelope is generic.
public struct ResponseEnvelope<Result: Codable & Sendable>: Codable, Sendable {
    public var version: Int
    public var id: Int
    public var result: Result?
    public var error: WireError?

    public init(id: Int, result: Result) {
        self.version = Wire.version
        self.id = id
        self.result = result
        self.error = nil
    }

    public init(id: Int, error: WireError) {
        self.version = Wire.version
        self.id = id
        self.result = nil
        self.error = error
    }
}

/// A placeholder result type for error-only responses.
public struct NoResult: Codable, Sendable {}

/// How far a background re-embedding has come (`StatusResult.reembedding`).
public struct ReembeddingStatus: Codable, Sendable, Equatable {
    /// The model the photos are being re-embedded with.
    public var model: String
    public var dimension: Int
    /// Photos re-embedded so far, of `total` in the index.
    public var done: Int
    public var total: Int

    public init(model: String, dimension: Int, done: Int, total: Int) {
        self.model = model
        self.dimension = dimension
        self.done = done
        self.total = total
    }
}
