import FoundationEssentials
import Imaging

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
    /// The text is private (0600 in a 0700 folder): queries say what a user looks for.
    public func save(_ query: String) {
        let folder = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        try? PrivateFile.write(Array(query.utf8), to: path)
    }

    /// nil when no search was saved (or the file is empty).
    public func load() -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let trimmed = text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
        return trimmed.isEmpty ? nil : String(trimmed)
    }
}
