import Foundation

/// Which caption words are nouns, and their lemma, from WordNet 3.0's index
/// and exception files (Debian `wordnet-base`; no network, no tagger model).
///
/// A word counts as a noun when WordNet lists it as one and, where it is also
/// a verb or an adjective, its noun senses are tagged at least as often in
/// SemCor (the index's tagsense_cnt), so "dog" and "water" are nouns while
/// "run", "jump" and "white" are not. An -ing form whose stem is a verb
/// ("running", "sitting") is a verb, except a few things people photograph.
public struct TagLexicon: Sendable {
    public static let defaultDirectory = "/usr/share/wordnet"
    /// -ing nouns kept although their stem is a verb.
    static let ingNouns: Set<String> = ["building", "clothing", "painting", "wedding", "railing", "ceiling"]
    /// Plurals that name one thing and stay plural (WordNet lists many
    /// plurals, "hands", "steps", "lots", that should fold into the singular).
    static let pluralNouns: Set<String> = [
        "glasses", "sunglasses", "goggles", "clothes", "pants", "shorts", "jeans", "trunks", "stairs", "overalls", "scissors",
    ]

    private let nounSenses: [String: Int]
    private let verbSenses: [String: Int]
    private let adjectiveSenses: [String: Int]
    private let irregularPlurals: [String: String]

    public init(directory: String = TagLexicon.defaultDirectory) throws {
        func read(_ name: String) throws -> String {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TrainingDataError.cannotRead(path: path, reason: "WordNet file missing (install wordnet-base)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        nounSenses = Self.tagsenseCounts(try read("index.noun"))
        verbSenses = Self.tagsenseCounts(try read("index.verb"))
        adjectiveSenses = Self.tagsenseCounts(try read("index.adj"))
        var plurals: [String: String] = [:]
        for line in try read("noun.exc").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, plurals[String(fields[0])] == nil { plurals[String(fields[0])] = String(fields[1]) }
        }
        irregularPlurals = plurals
    }

    /// `lemma pos synset_cnt p_cnt [ptr…] sense_cnt tagsense_cnt offset…`:
    /// tagsense_cnt sits just before the synset_cnt offsets.
    static func tagsenseCounts(_ text: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, let synsets = Int(fields[2]), fields.count > synsets + 1,
                  let tagged = Int(fields[fields.count - synsets - 1]) else { continue }
            counts[String(fields[0])] = tagged
        }
        return counts
    }

    /// The noun lemma of a lower-case word, or nil when it is not a noun.
    /// Plurals: WordNet's exception list (men → man, children → child), then
    /// its detachment rules (-ses, -xes, -zes, -ches, -shes, -men, -ies, -s);
    /// a few plurals that name one thing (glasses, stairs, shorts) stay.
    public func noun(_ word: String) -> String? {
        let lemma: String
        if Self.pluralNouns.contains(word) { return word }
        if let singular = irregularPlurals[word] {
            lemma = singular
        } else if nounSenses[word] != nil && (!word.hasSuffix("s") || singularForm(word) == nil) {
            lemma = word
        } else if let singular = singularForm(word) {
            lemma = singular
        } else {
            return nil
        }
        return isNoun(lemma) ? lemma : nil
    }

    private func singularForm(_ word: String) -> String? {
        let rules = [("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y"), ("s", "")]
        for (suffix, replacement) in rules where word.hasSuffix(suffix) && word.count > suffix.count + 1 {
            let base = String(word.dropLast(suffix.count)) + replacement
            if nounSenses[base] != nil { return base }
        }
        return nil
    }

    private func isNoun(_ lemma: String) -> Bool {
        guard let senses = nounSenses[lemma] else { return false }
        if lemma.hasSuffix("ing"), !Self.ingNouns.contains(lemma) {
            let stem = String(lemma.dropLast(3))
            let candidates = [stem, stem + "e", stem.count > 2 && stem.last == stem.dropLast().last ? String(stem.dropLast()) : stem]
            if candidates.contains(where: { verbSenses[$0] != nil }) { return false }
        }
        return senses >= (verbSenses[lemma] ?? 0) && senses > (adjectiveSenses[lemma] ?? -1)
    }
}
