import FoundationEssentials

/// The text of the last search, kept so that `photoq --explain ID` without
/// text explains the match the user just saw: `$XDG_CACHE_HOME/photoq/last-query`
/// (else ~/.cache/photoq/last-query).
public struct LastQuery: Sendable {
    public let path: String

    public init(environment: [String: String]) {
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? "/tmp") + "/.cache"
        path = cache + "/photoq/last-query"
    }

    /// Best effort: a search must not fail because the cache is not writable.
    public func save(_ query: String) {
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(query.utf8))
    }

    /// nil when no search was saved (or the file is empty).
    public func load() -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}
