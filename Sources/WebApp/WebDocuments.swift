import PhotoqProtocol

/// The JSON the page reads. Every document carries `"version": 1`, like `photoq --json`.
struct SearchDocument: Encodable, Sendable {
    struct Hit: Encodable, Sendable {
        var id: UInt64
        var path: String
        var score: Float
        /// `/thumb/ID`: photos are only ever fetched by index id.
        var thumbnail: String
        var photo: String
        var modified: String
        var taken: String?
        var format: String?
        /// Byte-identical copies at other paths, folded into this result.
        var also: [String]?

        init(_ hit: SearchHit) {
            id = hit.id
            path = hit.path
            score = hit.score
            thumbnail = "/thumb/\(hit.id)"
            photo = "/photo/\(hit.id)"
            modified = CalendarDay.iso8601(secondsSince1970: hit.modified)
            taken = hit.taken
            format = hit.format
            also = hit.also.map { $0.map(\.path) }
        }
    }

    var version = 1
    var results: [Hit]
    /// Photos found but not searchable yet.
    var pending: Int?
    /// The relevance cutoff the search applied, and the nearest photos it dropped.
    var min_score: Double? = nil
    var below_min_score: Int? = nil
}

struct PhotoDocument: Encodable, Sendable {
    var version = 1
    var id: UInt64
    var path: String
    var modified: String
    var thumbnail: String
    var photo: String

    init(_ record: PhotoRecordResult) {
        id = record.id
        path = record.path
        modified = CalendarDay.iso8601(secondsSince1970: record.modified)
        thumbnail = "/thumb/\(record.id)"
        photo = "/photo/\(record.id)"
    }
}

struct StatusDocument: Encodable, Sendable {
    var version = 1
    var indexed: Int
    var pending: Int
    var failed: Int
    var skipped: Int?
    var indexing: String?
    var watcher: String
    var roots: [String]

    init(_ status: StatusResult) {
        indexed = status.indexed
        pending = status.pending
        failed = status.failed
        skipped = status.skipped
        indexing = status.indexing
        watcher = status.watcher
        roots = status.roots
    }
}

struct FailuresDocument: Encodable, Sendable {
    struct Entry: Encodable, Sendable {
        var path: String
        var reason: String
        var detail: String
        var skipped: Bool
    }
    var version = 1
    var total: Int
    var entries: [Entry]
    var nextOffset: Int?
}

struct ExplainDocument: Encodable, Sendable {
    struct Word: Encodable, Sendable {
        var word: String
        var score: Float
        /// This word's own heat map (a data: URL) when the explain model gives per-word maps.
        var map: String?
    }
    var version = 1
    var id: UInt64
    var query: String
    var target: String
    var score: Float
    /// The heat map alone (no photo under it) as a data: URL, for overlaying
    /// with an opacity the page controls.
    var map: String
    var words: [Word]
}
