/// What can go wrong loading or feeding the tag ranker.
public enum TagError: Error, CustomStringConvertible, Equatable {
    case badModel(path: String, reason: String)
    case shapeMismatch(String)

    public var description: String {
        switch self {
        case let .badModel(path, reason): return "tagger model \(path): \(reason)"
        case let .shapeMismatch(reason): return "tagger input: \(reason)"
        }
    }
}
