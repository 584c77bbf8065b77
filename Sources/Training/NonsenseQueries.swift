import Model

/// Queries that name nothing a photo could show (keyboard runs and random
/// letters), to measure how much a relevance cutoff removes from what they
/// would return. The same seed gives the same texts.
public enum NonsenseQueries {
    static let keyboardRuns = ["asdfghjkl", "qwertyuiop", "zxcvbnm", "jkl;jkl;", "qazwsxedc", "poiuytrewq", "lkjhgfdsa", "mnbvcxz"]

    public static func make(count: Int, seed: UInt64) -> [String] {
        var generator = SplitMix64(seed: seed)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        var texts = Array(keyboardRuns.prefix(count))
        while texts.count < count {
            let words = 1 + Int(generator.next() % 3)
            texts.append((0..<words).map { _ in
                String((0..<(4 + Int(generator.next() % 6))).map { _ in letters[Int(generator.next() % 26)] })
            }.joined(separator: " "))
        }
        return texts
    }
}

/// One-word queries from a caption set, the short kind people type
/// ("giraffe", "snow"): each content word named in the captions of at least
/// `minimumPhotos` photos, with those photos as its relevant set. Short
/// queries score lower than whole captions, so a cutoff calibrated on
/// captions alone would drop their true matches.
public enum WordQueries {
    public static func make(captionsOfPhoto: [[String]], minimumPhotos: Int) -> [(word: String, photos: Set<Int>)] {
        var photosOfWord: [String: Set<Int>] = [:]
        for (photo, captions) in captionsOfPhoto.enumerated() {
            for caption in captions {
                for word in caption.lowercased().split(whereSeparator: { !$0.isLetter }) where word.count >= 3 {
                    let w = String(word)
                    if !StopWords.english.contains(w) { photosOfWord[w, default: []].insert(photo) }
                }
            }
        }
        return photosOfWord.filter { $0.value.count >= minimumPhotos }
            .sorted { $0.key < $1.key }
            .map { (word: $0.key, photos: $0.value) }
    }
}
