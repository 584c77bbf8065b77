import Foundation
import ModelFormat

/// GloVe word vectors, memory-mapped, with the vocabulary that names their rows.
public final class WordVectors: @unchecked Sendable {
    /// vectors (V, dimension), read in place from the weight file.
    public let vectors: FloatTensorView
    public let words: [String]
    public let dimension: Int
    /// Identifies the vocabulary (stored with a trained scorer to detect a mismatch).
    public let vocabularyID: String
    private let rowOfWord: [String: Int32]

    public var count: Int { words.count }

    /// Loads the installed vectors (`ModelPaths.wordVectors`, `.wordVocabulary`).
    public convenience init(directory: String? = nil) throws {
        try self.init(vectorsPath: ModelPaths.model(ModelPaths.wordVectors, in: directory),
                      vocabularyPath: ModelPaths.model(ModelPaths.wordVocabulary, in: directory))
    }

    public init(vectorsPath: String, vocabularyPath: String) throws {
        let file = try WeightFile(path: vectorsPath)
        guard let entry = file.entries["vectors"], entry.shape.count == 2 else {
            throw ScorerError.badWordVectors(path: vectorsPath, reason: "no 2-d tensor `vectors`")
        }
        vectors = try file.floats("vectors")
        dimension = entry.shape[1]
        vocabularyID = file.metadata["vocabulary_id"] ?? "unknown"
        words = try Self.readLines(vocabularyPath)
        guard words.count == entry.shape[0] else {
            throw ScorerError.badWordVectors(
                path: vocabularyPath, reason: "\(words.count) words for \(entry.shape[0]) vectors")
        }
        var map = [String: Int32](minimumCapacity: words.count)
        for (row, word) in words.enumerated() where map[word] == nil { map[word] = Int32(row) }
        rowOfWord = map
    }

    /// The row of `word`, or nil when it is out of vocabulary.
    public func row(of word: String) -> Int? { rowOfWord[word].map(Int.init) }

    /// vector (dimension) of row `row`.
    public func vector(row: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(rebasing: vectors.data[(row * dimension)..<((row + 1) * dimension)])
    }

    /// Tokenizes `text` and looks every token up; OOV tokens are kept (the
    /// scorer gives them its learned OOV vector) and listed in `oovWords`.
    public func encode(_ text: String) -> EncodedQuery {
        encode(tokens: QueryTokenizer.tokenize(text))
    }

    public func encode(tokens: [String]) -> EncodedQuery {
        var values = [Float](repeating: 0, count: tokens.count * dimension)
        var isOOV = [Bool](repeating: false, count: tokens.count)
        for (t, token) in tokens.enumerated() {
            guard let row = row(of: token) else { isOOV[t] = true; continue }
            let source = vector(row: row)
            for d in 0..<dimension { values[t * dimension + d] = source[d] }
        }
        return EncodedQuery(tokens: tokens, vectors: values, isOOV: isOOV, dimension: dimension)
    }

    /// Splits a UTF-8 file into lines without going through one big String.
    private static func readLines(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScorerError.badWordVectors(path: path, reason: "cannot read the vocabulary (run scripts/convert-models)")
        }
        return data.withUnsafeBytes { raw -> [String] in
            let bytes = raw.bindMemory(to: UInt8.self)
            var lines: [String] = []
            lines.reserveCapacity(bytes.count / 7)
            var start = 0
            for i in 0..<bytes.count where bytes[i] == UInt8(ascii: "\n") {
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                start = i + 1
            }
            if start < bytes.count {
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
            }
            return lines
        }
    }
}

/// A tokenized query: its word vectors, with OOV positions marked (their rows
/// are zero here and replaced by the scorer's learned OOV vector).
public struct EncodedQuery: Sendable, Equatable {
    public let tokens: [String]
    /// vectors (n, dimension), n = tokens.count.
    public let vectors: [Float]
    public let isOOV: [Bool]
    public let dimension: Int

    public init(tokens: [String], vectors: [Float], isOOV: [Bool], dimension: Int) {
        precondition(vectors.count == tokens.count * dimension && isOOV.count == tokens.count)
        self.tokens = tokens
        self.vectors = vectors
        self.isOOV = isOOV
        self.dimension = dimension
    }

    public var count: Int { tokens.count }
    /// The words the vocabulary does not know, in query order.
    public var oovWords: [String] { zip(tokens, isOOV).filter(\.1).map(\.0) }
}
