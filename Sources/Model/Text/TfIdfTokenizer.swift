/// Turns a caption into the terms tf-idf counts: lower-cased ASCII letter runs
/// (digits and punctuation split words), English stop words dropped, Porter
/// stems. "Two dogs are running on the beach." → ["two", "dog", "run", "beach"].
public enum TfIdfTokenizer {
    public static func terms(_ text: String) -> [String] {
        var terms: [String] = []
        var current: [UInt8] = []
        func flush() {
            guard !current.isEmpty else { return }
            let word = String(decoding: current, as: UTF8.self)
            current.removeAll(keepingCapacity: true)
            guard word.count > 1, !StopWords.english.contains(word) else { return }
            terms.append(PorterStemmer.stem(word))
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): current.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): current.append(byte + 32)
            case UInt8(ascii: "'"): continue // "dog's" → "dogs"
            default: flush()
            }
        }
        flush()
        return terms
    }
}
