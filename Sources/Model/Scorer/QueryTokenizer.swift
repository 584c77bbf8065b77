/// Splits a query or caption into GloVe tokens, the same way at training and
/// at query time (tools/convert/glove.py mirrors it to pick the vocabulary).
///
/// Lower-cases, splits on anything that is not a letter, digit or apostrophe,
/// then splits off the clitics GloVe's tokenizer separated: "dog's" → "dog",
/// "'s"; "isn't" → "is", "n't". Other apostrophes separate words.
public enum QueryTokenizer {
    static let clitics: Set<String> = ["'s", "'re", "'ve", "'m", "'ll", "'d"]

    public static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var piece = ""
        for character in text.lowercased() {
            if character == "'" || character == "\u{2019}" {
                piece.append("'")
            } else if character.isLetter || character.isNumber {
                piece.append(character)
            } else {
                appendPiece(piece, to: &tokens)
                piece = ""
            }
        }
        appendPiece(piece, to: &tokens)
        return tokens
    }

    private static func appendPiece(_ raw: String, to tokens: inout [String]) {
        let piece = raw.trimmingApostrophes()
        guard !piece.isEmpty else { return }
        guard piece.contains("'") else { tokens.append(piece); return }
        let stem: Substring
        let clitic: String
        if piece.hasSuffix("n't"), piece.count > 3 {
            stem = piece.dropLast(3)
            clitic = "n't"
        } else if let apostrophe = piece.lastIndex(of: "'"),
                  clitics.contains(String(piece[apostrophe...])) {
            stem = piece[..<apostrophe]
            clitic = String(piece[apostrophe...])
        } else {
            tokens += piece.split(separator: "'").map(String.init)
            return
        }
        tokens += stem.split(separator: "'").map(String.init)
        tokens.append(clitic)
    }
}

extension String {
    fileprivate func trimmingApostrophes() -> String {
        guard let first = firstIndex(where: { $0 != "'" }),
              let last = lastIndex(where: { $0 != "'" }) else { return "" }
        return String(self[first...last])
    }
}
