import Model

/// The tag vocabulary and each photo's tags ordered by visual importance, from
/// its captions (Yan, Wang & Liao: what people mention first, and most, is
/// what the photo is about).
///
/// Rule: a caption mentions a tag when one of its words has that noun lemma;
/// a photo's tags are every vocabulary tag any of its captions mentions,
/// ordered by (number of its captions mentioning the tag, descending; mean
/// word position of the tag's first mention in those captions, ascending;
/// name). The vocabulary is the nouns mentioned at least `minimumCount` times
/// in the training captions, minus `nonVisual`.
public struct TagGroundTruth: Sendable {
    /// Nouns that say where or how rather than what, or that WordNet lists as
    /// nouns but captions use as verbs, function words or adverbs.
    public static let nonVisual: Set<String> = [
        // places in the frame and photo words
        "front", "top", "side", "back", "bottom", "middle", "edge", "corner", "end", "left", "right", "rear", "center",
        "background", "foreground", "picture", "image", "view", "photo", "closeup", "shot", "area", "distance",
        "air", "midair", "outdoors", "way", "point", "lot", "bunch", "piece", "part", "type", "kind", "number",
        "direction", "place", "spot", "time", "day", "setting", "scene", "color", "something", "someone", "thing",
        // mostly verbs or other words in captions
        "walk", "leap", "chase", "smile", "dance", "race", "slide", "laugh", "swing", "trick", "kiss", "hike",
        "tackle", "cry", "use", "past", "upside", "attempt", "action", "motion", "stunt", "coming", "eats", "sooner",
        "doe", "ha", "pas", "wa", "s", "t", "use", "gesture", "pose", "jump", "run", "play", "look", "climb", "catch",
        "german", "third", "round", "medium", "peace", "war", "case", "item", "object", "structure", "event",
        "competition", "game", "sport", "life", "safety", "lying", "talk", "fly", "fall", "male", "giant",
        // colours, which WordNet lists as nouns but captions use as adjectives
        "green", "orange", "tan", "dark", "gray", "grey", "silver", "gold", "plaid", "neon",
    ]

    public let tags: [String]
    private let ids: [String: Int]

    public init(tags: [String]) {
        self.tags = tags
        ids = Dictionary(tags.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
    }

    public func id(_ tag: String) -> Int? { ids[tag] }

    /// Lower-case words of a caption (letters, inner hyphens: "t-shirt").
    public static func words(_ caption: String) -> [String] {
        var words: [String] = [], current = ""
        for scalar in caption.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || (scalar == "-" && !current.isEmpty) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current.hasSuffix("-") ? String(current.dropLast()) : current); current = ""
            }
        }
        if !current.isEmpty { words.append(current.hasSuffix("-") ? String(current.dropLast()) : current) }
        return words
    }

    /// Each noun lemma of a caption with the position of its first mention.
    public static func firstMentions(_ caption: String, lexicon: TagLexicon) -> [String: Int] {
        var first: [String: Int] = [:]
        for (position, word) in words(caption).enumerated() where !StopWordsForTags.contains(word) {
            if let noun = lexicon.noun(word), first[noun] == nil { first[noun] = position }
        }
        return first
    }

    /// The vocabulary from training captions: nouns mentioned ≥ minimumCount
    /// times, most frequent first (ties by name).
    public static func vocabulary(captions: [[String]], lexicon: TagLexicon, minimumCount: Int = 15) -> TagGroundTruth {
        var counts: [String: Int] = [:]
        for list in captions {
            for caption in list {
                for word in words(caption) where !StopWordsForTags.contains(word) {
                    if let noun = lexicon.noun(word) { counts[noun, default: 0] += 1 }
                }
            }
        }
        let kept = counts.filter { $0.value >= minimumCount && !nonVisual.contains($0.key) }
        return TagGroundTruth(tags: kept.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key))
    }

    /// One photo's tag ids, most important first (the rule above).
    public func orderedTags(captions: [String], lexicon: TagLexicon) -> [Int] {
        var mentions: [Int: (captions: Int, positionSum: Int)] = [:]
        for caption in captions {
            for (noun, position) in Self.firstMentions(caption, lexicon: lexicon) {
                guard let id = ids[noun] else { continue }
                let m = mentions[id] ?? (0, 0)
                mentions[id] = (m.captions + 1, m.positionSum + position)
            }
        }
        return mentions.sorted { a, b in
            if a.value.captions != b.value.captions { return a.value.captions > b.value.captions }
            // mean positions compared without division: p_a / n_a < p_b / n_b
            let left = a.value.positionSum * b.value.captions, right = b.value.positionSum * a.value.captions
            if left != right { return left < right }
            return tags[a.key] < tags[b.key]
        }.map(\.key)
    }
}

/// Function words WordNet also lists as nouns ("a", "in", "it"), and
/// numbers: never tags.
enum StopWordsForTags {
    static let numbers: Set<String> = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    static func contains(_ word: String) -> Bool { StopWords.english.contains(word) || numbers.contains(word) }
}
