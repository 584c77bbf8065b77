/// What can go wrong loading or feeding the image–query scorer.
public enum ScorerError: Error, CustomStringConvertible, Equatable {
    case badWordVectors(path: String, reason: String)
    case badModel(path: String, reason: String)
    case shapeMismatch(String)
    case emptyQuery

    public var description: String {
        switch self {
        case let .badWordVectors(path, reason): return "word vectors \(path): \(reason)"
        case let .badModel(path, reason): return "scorer model \(path): \(reason)"
        case let .shapeMismatch(reason): return "scorer input: \(reason)"
        case .emptyQuery: return "the query has no words"
        }
    }
}
