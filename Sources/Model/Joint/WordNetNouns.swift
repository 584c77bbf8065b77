import Foundation

/// Reads noun synsets from WordNet 3.0's `data.noun` (Debian `wordnet-base`),
/// where a synset's offset is its byte position in the file; ImageNet's ids
/// are "n" + that offset.
public struct WordNetNouns: Sendable {
    public struct Synset: Sendable, Equatable {
        public var words: [String]  // lemmas, underscores as spaces
        public var gloss: String    // definition, without the quoted examples
    }

    public static let defaultPath = "/usr/share/wordnet/data.noun"
    private let bytes: [UInt8]

    public init(path: String = WordNetNouns.defaultPath) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JointModelError.incompatibleModel(path: path, reason: "cannot read WordNet nouns (install wordnet-base)")
        }
        bytes = [UInt8](data)
    }

    /// The synset of an ImageNet id like "n02084071", nil if absent.
    public func synset(imagenetID: String) -> Synset? {
        guard imagenetID.hasPrefix("n"), let offset = Int(imagenetID.dropFirst()), offset >= 0, offset < bytes.count else { return nil }
        var end = offset
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        let line = String(decoding: bytes[offset..<end], as: UTF8.self)
        return Self.parse(line: line, offset: offset)
    }

    /// `offset lex_filenum ss_type w_cnt word lex_id … | gloss`; w_cnt is hex.
    static func parse(line: String, offset: Int) -> Synset? {
        let parts = line.split(separator: "|", maxSplits: 1)
        let fields = parts[0].split(separator: " ")
        guard fields.count > 4, Int(fields[0]) == offset, let count = Int(fields[3], radix: 16), fields.count >= 4 + 2 * count else {
            return nil
        }
        let words = (0..<count).map { fields[4 + 2 * $0].replacingOccurrences(of: "_", with: " ") }
            .map { $0.replacingOccurrences(of: #"\(.*\)$"#, with: "", options: .regularExpression) }  // "(a)" markers
        var gloss = parts.count > 1 ? String(parts[1]) : ""
        if let quote = gloss.firstIndex(of: "\"") { gloss = String(gloss[..<quote]) }
        gloss = gloss.trimmingCharacters(in: CharacterSet(charactersIn: " ;\n"))
        return Synset(words: words, gloss: gloss)
    }
}
