import Foundation

/// BERT's "basic" tokenizer for uncased models: the text clean-up and
/// splitting that happens before WordPiece.
///
/// Works on Unicode scalars (code points), as BERT does, and never compares
/// `String`s: Swift's canonical-equivalence equality would merge tokens that
/// BERT keeps apart.
enum WordPieceBasicTokenizer {
    /// Splits `text` into words and punctuation marks: drops NUL, U+FFFD and
    /// control/format characters, treats whitespace as separators, puts CJK
    /// ideographs on their own, lower-cases, strips accents (NFD, then drops
    /// non-spacing marks) and splits every punctuation mark into its own token.
    static func split(_ text: String) -> [[Unicode.Scalar]] {
        var tokens: [[Unicode.Scalar]] = []
        var word = String.UnicodeScalarView()
        func flushWord() {
            if !word.isEmpty { splitNormalizedWord(String(word), into: &tokens) }
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                flushWord()
            } else if isCJK(value) {
                flushWord()
                tokens.append([scalar])
            } else {
                word.append(scalar)
            }
        }
        flushWord()
        return tokens
    }

    /// Lower-cases and strips accents from one whitespace-free word, then
    /// splits it at punctuation; appends the pieces to `tokens`.
    private static func splitNormalizedWord(_ word: String, into tokens: inout [[Unicode.Scalar]]) {
        let decomposed = lowercased(word).decomposedStringWithCanonicalMapping
        var current: [Unicode.Scalar] = []
        for scalar in decomposed.unicodeScalars {
            if scalar.properties.generalCategory == .nonspacingMark { continue }
            // Lower-casing can produce new whitespace-free characters only, but
            // a stray separator must still never end up inside a token.
            if isWhitespace(scalar) {
                if !current.isEmpty { tokens.append(current); current.removeAll() }
            } else if isPunctuation(scalar) {
                if !current.isEmpty { tokens.append(current); current.removeAll() }
                tokens.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { tokens.append(current) }
    }

    /// Full Unicode lower-casing, including the one context-dependent rule
    /// (Final_Sigma: "Σ" ending a word becomes "ς") that per-character
    /// mapping misses and BERT's reference (Python's `str.lower`) applies.
    static func lowercased(_ word: String) -> String {
        let scalars = Array(word.unicodeScalars)
        guard scalars.contains("\u{3A3}") else { return word.lowercased() }
        var out = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\u{3A3}" {
                out.append(isFinalSigma(at: index, in: scalars) ? "\u{3C2}" : "\u{3C3}")
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// Whether a cased letter precedes position `index` and none follows it,
    /// skipping case-ignorable characters (apostrophes, combining marks) both ways.
    private static func isFinalSigma(at index: Int, in scalars: [Unicode.Scalar]) -> Bool {
        func nearestCased<S: Sequence>(_ positions: S) -> Bool where S.Element == Int {
            for position in positions {
                let properties = scalars[position].properties
                if properties.isCaseIgnorable { continue }
                return properties.isCased
            }
            return false
        }
        return nearestCased((0..<index).reversed()) && !nearestCased((index + 1)..<scalars.count)
    }

    // MARK: Character classes, as BERT defines them

    /// Space, tab, newline, carriage return, space separators (Zs), and the
    /// other White_Space characters a whitespace split breaks at (U+2028...).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09, 0x0A, 0x0D: return true
        default:
            return scalar.properties.generalCategory == .spaceSeparator || scalar.properties.isWhitespace
        }
    }

    /// Every "C*" category (control, format, unassigned, private use,
    /// surrogate) except tab, newline and carriage return, which are whitespace.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        default:
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    /// Unicode punctuation (P*) plus every non-alphanumeric printable ASCII
    /// character ("$", "+", "^", "`"...), which BERT also splits off.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if (33...47).contains(value) || (58...64).contains(value)
            || (91...96).contains(value) || (123...126).contains(value) {
            return true
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideographs blocks BERT isolates (not Hiragana,
    /// Katakana or Hangul, which are written with spaces or split by WordPiece).
    static func isCJK(_ value: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(value) || (0x3400...0x4DBF).contains(value)
            || (0x20000...0x2A6DF).contains(value) || (0x2A700...0x2B73F).contains(value)
            || (0x2B740...0x2B81F).contains(value) || (0x2B820...0x2CEAF).contains(value)
            || (0xF900...0xFAFF).contains(value) || (0x2F800...0x2FA1F).contains(value)
    }
}
