/// The Porter (1980) suffix-stripping stemmer, "An algorithm for suffix
/// stripping", Program 14(3). Works on lower-case ASCII words; anything else is
/// returned unchanged. Steps and conditions follow the paper's numbering.
public enum PorterStemmer {
    public static func stem(_ word: String) -> String {
        guard word.count > 2, word.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else { return word }
        var w = Word(Array(word.utf8))
        w.step1a(); w.step1b(); w.step1c(); w.step2(); w.step3(); w.step4(); w.step5a(); w.step5b()
        return String(decoding: w.chars, as: UTF8.self)
    }

    /// The word being stemmed, as bytes, with the paper's measure helpers.
    private struct Word {
        var chars: [UInt8]
        init(_ chars: [UInt8]) { self.chars = chars }

        /// Consonant in the paper's sense: not a vowel, and `y` only after a vowel.
        func isConsonant(_ i: Int) -> Bool {
            switch chars[i] {
            case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
            case UInt8(ascii: "y"): return i == 0 ? true : !isConsonant(i - 1)
            default: return true
            }
        }

        /// m in [C](VC)^m[V] for the first `length` letters.
        func measure(_ length: Int) -> Int {
            var m = 0, i = 0
            while i < length && isConsonant(i) { i += 1 }
            while i < length {
                while i < length && !isConsonant(i) { i += 1 }
                if i >= length { break }
                while i < length && isConsonant(i) { i += 1 }
                m += 1
            }
            return m
        }

        func hasVowel(_ length: Int) -> Bool { (0..<length).contains { !isConsonant($0) } }

        /// *d: ends in a double consonant.
        func endsDoubleConsonant(_ length: Int) -> Bool {
            length >= 2 && chars[length - 1] == chars[length - 2] && isConsonant(length - 1)
        }

        /// *o: ends consonant-vowel-consonant, the last not w, x or y.
        func endsCVC(_ length: Int) -> Bool {
            guard length >= 3, isConsonant(length - 3), !isConsonant(length - 2), isConsonant(length - 1) else { return false }
            let last = chars[length - 1]
            return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
        }

        func ends(_ suffix: String) -> Bool {
            let s = Array(suffix.utf8)
            return chars.count >= s.count && Array(chars[(chars.count - s.count)...]) == s
        }

        /// The length of the stem left when `suffix` (which the word ends with) goes.
        func stemLength(_ suffix: String) -> Int { chars.count - suffix.utf8.count }

        mutating func replace(_ suffix: String, with replacement: String) {
            chars.removeLast(suffix.utf8.count)
            chars.append(contentsOf: replacement.utf8)
        }

        /// Replaces the first matching suffix of `rules` when the stem's measure exceeds `minMeasure`.
        mutating func applyFirst(_ rules: [(String, String)], minMeasure: Int) {
            for (suffix, replacement) in rules where ends(suffix) {
                if measure(stemLength(suffix)) > minMeasure { replace(suffix, with: replacement) }
                return
            }
        }

        mutating func step1a() {
            if ends("sses") { replace("sses", with: "ss") }
            else if ends("ies") { replace("ies", with: "i") }
            else if ends("ss") { return }
            else if ends("s") { replace("s", with: "") }
        }

        mutating func step1b() {
            if ends("eed") {
                if measure(stemLength("eed")) > 0 { replace("eed", with: "ee") }
                return
            }
            var removed = false
            for suffix in ["ed", "ing"] where ends(suffix) && hasVowel(stemLength(suffix)) {
                replace(suffix, with: ""); removed = true; break
            }
            guard removed else { return }
            if ends("at") { replace("at", with: "ate") }
            else if ends("bl") { replace("bl", with: "ble") }
            else if ends("iz") { replace("iz", with: "ize") }
            else if endsDoubleConsonant(chars.count) {
                let last = chars[chars.count - 1]
                if last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z") { chars.removeLast() }
            } else if measure(chars.count) == 1 && endsCVC(chars.count) {
                chars.append(UInt8(ascii: "e"))
            }
        }

        mutating func step1c() {
            if ends("y") && hasVowel(chars.count - 1) { chars[chars.count - 1] = UInt8(ascii: "i") }
        }

        mutating func step2() {
            applyFirst([("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"),
                        ("izer", "ize"), ("abli", "able"), ("alli", "al"), ("entli", "ent"), ("eli", "e"),
                        ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"), ("ator", "ate"),
                        ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"),
                        ("aliti", "al"), ("iviti", "ive"), ("biliti", "ble")], minMeasure: 0)
        }

        mutating func step3() {
            applyFirst([("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"),
                        ("ful", ""), ("ness", "")], minMeasure: 0)
        }

        mutating func step4() {
            let suffixes = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
                            "ion", "ou", "ism", "ate", "iti", "ous", "ive", "ize"]
            // Longest match first, as the paper's table is scanned per final letters.
            for suffix in suffixes.sorted(by: { $0.count > $1.count }) where ends(suffix) {
                let length = stemLength(suffix)
                guard measure(length) > 1 else { return }
                if suffix == "ion" {
                    guard length > 0, chars[length - 1] == UInt8(ascii: "s") || chars[length - 1] == UInt8(ascii: "t") else { return }
                }
                replace(suffix, with: "")
                return
            }
        }

        mutating func step5a() {
            guard ends("e") else { return }
            let length = chars.count - 1
            let m = measure(length)
            if m > 1 || (m == 1 && !endsCVC(length)) { chars.removeLast() }
        }

        mutating func step5b() {
            if measure(chars.count) > 1 && endsDoubleConsonant(chars.count) && chars.last == UInt8(ascii: "l") {
                chars.removeLast()
            }
        }
    }
}
