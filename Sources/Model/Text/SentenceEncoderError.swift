import ModelFormat

/// Why a sentence encoder or its tokenizer could not be set up.
public enum SentenceEncoderError: Error, CustomStringConvertible, Equatable {
    case cannotReadVocabulary(path: String, reason: String)
    case missingSpecialToken(String)
    /// A maximum sequence length below 2 (room for `[CLS]` and `[SEP]`) or
    /// beyond the model's position embeddings.
    case invalidMaxLength(Int, limit: Int?)
    case vocabularyMismatch(vocabulary: Int, embeddings: Int)
    case invalidModel(path: String, reason: String)
    /// Token ids given directly that the model cannot take.
    case invalidTokens(String)
    /// A `PHOTOQ_TEXT_PRECISION` that names no precision.
    case invalidPrecision(String)

    public var description: String {
        switch self {
        case let .cannotReadVocabulary(path, reason):
            return "cannot read WordPiece vocabulary \(path): \(reason) (run scripts/convert-models)"
        case let .missingSpecialToken(name):
            return "the WordPiece vocabulary has no \(name) token; is it a BERT vocab.txt?"
        case let .invalidMaxLength(length, limit):
            let range = limit.map { "2...\($0)" } ?? "at least 2"
            return "maximum sequence length \(length) is out of range (\(range))"
        case let .vocabularyMismatch(vocabulary, embeddings):
            return "the vocabulary has \(vocabulary) tokens but the model embeds \(embeddings); vocabulary and weights come from different models (re-run scripts/convert-models)"
        case let .invalidModel(path, reason):
            return "sentence encoder \(path) is not usable: \(reason) (re-run scripts/convert-models)"
        case let .invalidTokens(reason):
            return "invalid token ids: \(reason) (tokenize text with the encoder's own tokenizer)"
        case let .invalidPrecision(value):
            let names = TextPrecision.allCases.map(\.rawValue).joined(separator: " or ")
            return "\(TextPrecision.environmentVariable)=\(value) is not a text precision (use \(names))"
        }
    }
}
