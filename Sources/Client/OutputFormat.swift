import FoundationEssentials
import PhotoqProtocol

/// How results are written to stdout: paths only on stdout, everything else on stderr.
public struct OutputFormat: Sendable {
    public var scores: Bool
    public var json: Bool
    /// NUL-terminated paths, for `xargs -0`.
    public var nulSeparated: Bool
    /// Each byte-identical copy as a result of its own, instead of folded
    /// into the best one's `also`.
    public var allCopies: Bool

    public init(scores: Bool = false, json: Bool = false, nulSeparated: Bool = false, allCopies: Bool = false) {
        self.scores = scores
        self.json = json
        self.nulSeparated = nulSeparated
        self.allCopies = allCopies
    }

    /// `--json` document of a search: versioned, stable snake_case keys.
    public struct SearchDocument: Codable, Sendable {
        public struct Hit: Codable, Sendable {
            public var rank: Int
            public var id: UInt64
            /// For people; `path_bytes` (base64) holds the exact name when it is not UTF-8.
            public var path: String
            public var path_bytes: String?
            public var score: Float
            /// ISO 8601 UTC: "2026-12-01T09:30:00Z".
            public var modified: String
            /// ISO 8601 with the UTC offset when known, or null.
            public var taken: String?
            /// "jpeg", "png", "webp", "heic", "avif", "tiff", "gif", "bmp", "raw"; null when unknown.
            public var format: String?
            /// Paths of byte-identical copies folded into this result ([] when none).
            public var also: [String]
            /// The photo's tags, best first; absent when it has no tags yet.
            public var tags: [TagScore]? = nil

            enum CodingKeys: String, CodingKey { case rank, id, path, path_bytes, score, modified, taken, format, also, tags }

            // Written out so that `taken` and `format` are null, not missing, when unknown.
            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(rank, forKey: .rank)
                try c.encode(id, forKey: .id)
                try c.encode(path, forKey: .path)
                try c.encodeIfPresent(path_bytes, forKey: .path_bytes)
                try c.encode(score, forKey: .score)
                try c.encode(modified, forKey: .modified)
                try c.encode(taken, forKey: .taken)
                try c.encode(format, forKey: .format)
                try c.encode(also, forKey: .also)
                try c.encodeIfPresent(tags, forKey: .tags)
            }
        }

        public var version = 1
        public var query: String?
        public var similar_to: String?
        public var results: [Hit]
        /// Photos still being indexed (not searchable yet), when the daemon says.
        public var pending: Int? = nil
        /// The relevance cutoff the search applied, and how many of the
        /// nearest photos it dropped (absent when none was applied).
        public var min_score: Double? = nil
        public var below_min_score: Int? = nil
    }

    /// `--status --json` document.
    public struct StatusDocument: Codable, Sendable {
        public var version = 1
        public var indexed: Int
        public var pending: Int
        public var failed: Int
        public var model: String
        public var dimension: Int
        public var roots: [String]
        /// Roots not there now; their photos are hidden until they return.
        public var roots_missing: [String] = []
        public var hidden = 0
        public var watcher: String
        public var watches: Int
        public var uptime_seconds: Double
        public var pid: Int32
        public var socket: String
        /// Present while the daemon cannot commit (its disk is full).
        public var indexing_paused: String? = nil
        /// Failed photos by class ("damaged", "truncated", …), when any failed.
        public var failed_by_reason: [String: Int]? = nil
        /// Files left out on purpose, and failed plus skipped files by class.
        public var skipped = 0
        public var by_reason: [String: Int] = [:]
        /// "scanning", "embedding" or "idle".
        public var indexing: String? = nil
        /// Indexed photos by format, every one of `formatNames` present (0 when none).
        public var by_format: [String: Int] = [:]
        /// Present while a new model re-embeds the library in the background
        /// (`model` answers searches until it is done).
        public var reembedding: Reembedding? = nil

        public struct Reembedding: Codable, Sendable {
            public var model: String
            public var dimension: Int
            public var done: Int
            public var total: Int
        }
    }

    /// The formats `by_format` always lists (the daemon's record names).
    public static let formatNames = ["jpeg", "png", "webp", "heic", "avif", "tiff", "gif", "bmp", "raw"]

    /// The daemon's counts with every format present; an older daemon's
    /// missing counts read as 0.
    static func formatCounts(_ status: StatusResult) -> [String: Int] {
        var counts = Dictionary(uniqueKeysWithValues: formatNames.map { ($0, 0) })
        for (format, count) in status.byFormat ?? [:] { counts[format] = count }
        return counts
    }

    public func render(hits folded: [SearchHit], query: String?, similarTo: String?, pending: Int? = nil,
                       cutoff: (minScore: Double, below: Int)? = nil) -> [UInt8] {
        let hits = allCopies ? Self.eachCopy(folded) : folded
        if json {
            var doc = SearchDocument(query: query, similar_to: similarTo, results: hits.enumerated().map { i, h in
                SearchDocument.Hit(rank: i + 1, id: h.id, path: h.path, path_bytes: h.pathBytes, score: h.score,
                                   modified: CalendarDay.iso8601(secondsSince1970: h.modified), taken: h.taken,
                                   format: h.format, also: (h.also ?? []).map(\.path), tags: h.tags)
            })
            doc.pending = pending
            doc.min_score = cutoff?.minScore
            doc.below_min_score = cutoff?.below
            return OutputFormat.encode(doc)
        }
        var out: [UInt8] = []
        for hit in hits {
            if scores { out += Array(String(format4(hit.score) + "\t").utf8) }
            // -0 is for programs (xargs -0): the exact bytes, primaries only.
            // Lines are for people: names that are not UTF-8 show `\xHH` escapes.
            out += nulSeparated ? hit.fileSystemPath : Array(hit.path.utf8)
            out.append(nulSeparated ? 0 : UInt8(ascii: "\n"))
            if !nulSeparated {
                for copy in hit.also ?? [] { out += Array("  also: \(copy.path)\n".utf8) }
            }
        }
        return out
    }

    /// Every folded copy after its primary, as a result of its own.
    static func eachCopy(_ hits: [SearchHit]) -> [SearchHit] { hits.flatMap(\.everyCopy) }

    public func render(status: StatusResult, socket: String) -> [UInt8] {
        if json {
            var document = StatusDocument(
                indexed: status.indexed, pending: status.pending, failed: status.failed, model: status.modelID,
                dimension: status.dimension, roots: status.roots, watcher: status.watcher, watches: status.watches,
                uptime_seconds: status.uptimeSeconds, pid: status.pid, socket: socket,
                indexing_paused: status.indexingPaused, failed_by_reason: status.failedByReason)
            document.roots_missing = status.rootsMissing ?? []
            document.hidden = status.hidden ?? 0
            document.skipped = status.skipped ?? 0
            document.by_reason = status.byReason ?? status.failedByReason ?? [:]
            document.indexing = status.indexing
            document.by_format = Self.formatCounts(status)
            document.reembedding = status.reembedding.map {
                StatusDocument.Reembedding(model: $0.model, dimension: $0.dimension, done: $0.done, total: $0.total)
            }
            return OutputFormat.encode(document)
        }
        let classes = status.failedByReason.map { byClass in
            " (" + byClass.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + ")"
        } ?? ""
        let missing = status.rootsMissing ?? []
        let missingNote = missing.isEmpty ? "" : " (missing: \(missing.joined(separator: ", ")); "
            + "\(status.hidden ?? 0) photos hidden until it returns)"
        var lines = ["indexed  \(status.indexed)", "pending  \(status.pending)", "failed   \(status.failed)\(classes)"]
        lines += StatusLines.accounting(status)
        if let paused = status.indexingPaused { lines.append("paused   \(paused) (pending photos are retried)") }
        let formats = Self.formatCounts(status)
        let present = Self.formatNames.filter { formats[$0, default: 0] > 0 }
        if !present.isEmpty { lines.append("formats  " + present.map { "\(formats[$0, default: 0]) \($0)" }.joined(separator: ", ")) }
        lines += ["model    \(status.modelID) (D=\(status.dimension))"]
        if let r = status.reembedding {
            let percent = r.total > 0 ? r.done * 100 / r.total : 100
            lines.append("reembed  \(r.done) of \(r.total) photos (\(percent)%) with \(r.model) (D=\(r.dimension)); searches use the model above until done")
        }
        lines += [
                  "roots    \(status.roots.joined(separator: ", "))\(missingNote)",
                  "watcher  \(status.watcher) (\(status.watches) folders)",
                  "daemon   pid \(status.pid), up \(Self.wholeNumber(status.uptimeSeconds)) s, socket \(socket)"]
        let text = lines.joined(separator: "\n") + "\n"
        return Array(text.utf8)
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain structs of strings and numbers cannot fail.
        return Array((try? encoder.encode(value)) ?? Data()) + [UInt8(ascii: "\n")]
    }

    /// Int(x) traps beyond Int's range; a reply's number must not crash photoq.
    static func wholeNumber(_ x: Double) -> Int { x.isFinite ? Int(max(-9e18, min(9e18, x))) : 0 }

    /// Four decimals without Foundation's String(format:).
    private func format4(_ x: Float) -> String {
        let scaled = (Double(x) * 10_000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = Self.wholeNumber(abs(scaled))
        let fraction = String(magnitude % 10_000)
        return sign + String(magnitude / 10_000) + "." + String(repeating: "0", count: 4 - fraction.count) + fraction
    }
}
