import Foundation

/// BERT's uncased WordPiece tokenizer: the basic tokenizer (clean-up,
/// lower-casing, accent stripping, punctuation and CJK splitting), then greedy
/// longest-match-first WordPiece with "##" continuations.
public struct WordPieceTokenizer: Sendable {
    /// Words longer than this many code points become `[UNK]`, as in BERT.
    public static let maxCharactersPerWord = 100

    /// Token strings by id (line i of vocab.txt is id i).
    public let vocabulary: [String]
    /// Longest sequence `tokenize` returns, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    public let padID: Int
    public let unknownID: Int
    public let classifierID: Int
    public let separatorID: Int

    /// Ids keyed by code points, not `String`, so that canonically equivalent
    /// but distinct vocabulary entries stay distinct.
    private let ids: [[Unicode.Scalar]: Int]

    /// Reads a vocab.txt (one token per line).
    public init(vocabularyPath: String, maxLength: Int = 256) throws {
        let text: String
        do {
            text = try String(contentsOfFile: vocabularyPath, encoding: .utf8)
        } catch {
            throw SentenceEncoderError.cannotReadVocabulary(path: vocabularyPath, reason: "\(error)")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        try self.init(vocabulary: lines, maxLength: maxLength)
    }

    public init(vocabulary: [String], maxLength: Int = 256) throws {
        guard maxLength >= 2 else { throw SentenceEncoderError.invalidMaxLength(maxLength, limit: nil) }
        var ids: [[Unicode.Scalar]: Int] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (id, token) in vocabulary.enumerated() {
            // The first occurrence wins, as when BERT's loader builds its map.
            let key = Array(token.unicodeScalars)
            if ids[key] == nil { ids[key] = id }
        }
        func special(_ name: String) throws -> Int {
            guard let id = ids[Array(name.unicodeScalars)] else { throw SentenceEncoderError.missingSpecialToken(name) }
            return id
        }
        self.vocabulary = vocabulary
        self.maxLength = maxLength
        self.ids = ids
        padID = try special("[PAD]")
        unknownID = try special("[UNK]")
        classifierID = try special("[CLS]")
        separatorID = try special("[SEP]")
    }

    /// The same tokenizer with another maximum length.
    public func withMaxLength(_ maxLength: Int) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: vocabulary, maxLength: maxLength)
    }

    /// Model input ids: `[CLS]`, the word pieces (truncated so the whole fits
    /// `maxLength`), `[SEP]`.
    public func tokenize(_ text: String) -> [Int] {
        var pieces = wordPieceIDs(text)
        if pieces.count > maxLength - 2 { pieces.removeLast(pieces.count - (maxLength - 2)) }
        return [classifierID] + pieces + [separatorID]
    }

    /// The word-piece ids of `text`, without special tokens or truncation.
    public func wordPieceIDs(_ text: String) -> [Int] {
        var out: [Int] = []
        for word in WordPieceBasicTokenizer.split(text) { appendWordPieces(of: word, to: &out) }
        return out
    }

    /// The word pieces of `text` as strings (for debugging and tests).
    public func wordPieces(_ text: String) -> [String] {
        wordPieceIDs(text).map { vocabulary[$0] }
    }

    /// The id of `token` if the vocabulary has it.
    public func id(of token: String) -> Int? { ids[Array(token.unicodeScalars)] }

    /// Greedy longest-match-first: at each position take the longest
    /// vocabulary entry (prefixed "##" after the first piece); a word with a
    /// part no entry matches becomes a single `[UNK]`.
    private func appendWordPieces(of word: [Unicode.Scalar], to out: inout [Int]) {
        guard word.count <= Self.maxCharactersPerWord else { out.append(unknownID); return }
        let continuation: [Unicode.Scalar] = ["#", "#"]
        var pieces: [Int] = []
        var start = 0
        var key: [Unicode.Scalar] = []
        key.reserveCapacity(word.count + 2)
        while start < word.count {
            var end = word.count
            var match: Int?
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key.append(contentsOf: continuation) }
                key.append(contentsOf: word[start..<end])
                if let id = ids[key] { match = id; break }
                end -= 1
            }
            guard let id = match else { out.append(unknownID); return }
            pieces.append(id)
            start = end
        }
        out.append(contentsOf: pieces)
    }
}
