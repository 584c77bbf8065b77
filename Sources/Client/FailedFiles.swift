import PhotoqProtocol

/// `photoq --failed`: every file the daemon did not index, failed ones first,
/// as `CLASS<TAB>PATH<TAB>REASON` lines, one JSON document (`--json`), or
/// NUL-terminated exact paths (`-0`).
public enum FailedFiles {
    /// `--failed --json` document.
    public struct Document: Codable, Sendable {
        public struct Entry: Codable, Sendable {
            public var path: String
            public var path_bytes: String?
            public var reason: String
            public var detail: String
            /// "failed" or "skipped".
            public var outcome: String
        }
        public var version = 1
        public var total: Int
        public var files: [Entry]
    }

    /// Fetches every page from the daemon.
    public static func fetch(_ client: PhotoqClient) throws(ClientFailure) -> [FailureEntry] {
        var entries: [FailureEntry] = []
        var offset = 0
        while true {
            let page = try client.failures(offset: offset, limit: FailuresRequest.maximumLimit)
            entries += page.entries
            guard let next = page.nextOffset, next > offset else { return entries }
            offset = next
        }
    }

    public static func render(_ entries: [FailureEntry], format: OutputFormat) -> [UInt8] {
        if format.json {
            return OutputFormat.encode(Document(total: entries.count, files: entries.map {
                Document.Entry(path: $0.path, path_bytes: $0.pathBytes, reason: $0.reason, detail: $0.detail,
                               outcome: $0.skipped ? "skipped" : "failed")
            }))
        }
        var out: [UInt8] = []
        for entry in entries {
            if format.nulSeparated {
                out += entry.fileSystemPath
                out.append(0)
            } else {
                // Tabs and newlines in a reason would break the columns.
                let detail = entry.detail.map { $0 == "\t" || $0 == "\n" ? " " : String($0) }.joined()
                out += Array("\(entry.reason)\t\(entry.path)\t\(detail)\n".utf8)
            }
        }
        return out
    }
}
