/// The sentences whose MiniLM embeddings are averaged into one ImageNet
/// class's text vector: the class name in caption-like templates, each WordNet
/// synonym, and the name with its WordNet gloss.
public enum ClassPhrases {
    public static func phrases(name: String, synset: WordNetNouns.Synset?) -> [String] {
        var phrases = ["a photo of a \(name).", "a picture of a \(name).", name]
        if let synset {
            var seen: Set<String> = [name.lowercased()]
            for word in synset.words where seen.insert(word.lowercased()).inserted {
                phrases.append("a photo of a \(word).")
            }
            if !synset.gloss.isEmpty { phrases.append("\(name), \(synset.gloss).") }
        }
        return phrases
    }
}
