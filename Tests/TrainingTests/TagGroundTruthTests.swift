import Training
import XCTest

/// The caption-to-ordered-tags rule on hand-written captions, the WordNet
/// noun lemmas it rests on, and the ranking metrics.
final class TagGroundTruthTests: XCTestCase {
    private func lexicon() throws -> TagLexicon {
        guard FileManager.default.fileExists(atPath: TagLexicon.defaultDirectory + "/index.noun") else {
            throw XCTSkip("WordNet not installed (scripts/install-deps installs wordnet-base)")
        }
        return try TagLexicon()
    }

    func testNounLemmas() throws {
        let lexicon = try lexicon()
        let expected: [String: String?] = [
            "dogs": "dog", "men": "man", "children": "child", "women": "woman", "people": "people", "buses": "bus",
            "puppies": "puppy", "boxes": "box", "benches": "bench", "t-shirt": "t-shirt", "glasses": "glasses",
            "dog": "dog", "water": "water",
            // verbs and adjectives, though WordNet also has them as nouns
            "running": nil, "sitting": nil, "runs": nil, "jumps": nil, "white": nil, "plays": nil, "quickly": nil,
        ]
        for (word, lemma) in expected { XCTAssertEqual(lexicon.noun(word), lemma, word) }
    }

    func testOrderingByMentionsThenEarliestPosition() throws {
        let lexicon = try lexicon()
        let vocabulary = TagGroundTruth(tags: ["dog", "ball", "grass", "man", "frisbee", "beach"])
        let captions = [
            "A dog runs on the grass with a ball .",          // dog 1, grass 5, ball 8
            "Two dogs play with a ball .",                     // dog 1, ball 5
            "A brown dog chases a ball across the grass .",    // dog 2, ball 5, grass 8
            "The ball is caught by a dog .",                   // ball 1, dog 6
            "A man throws a frisbee on the beach .",           // man 1, frisbee 4, beach 7
        ]
        // dog and ball: 4 captions each; dog's mean first position (1+1+2+6)/4 = 2.5
        // beats ball's (8+5+5+1)/4 = 4.75. grass: 2 captions. man, frisbee,
        // beach: 1 caption each, by position.
        let ordered = vocabulary.orderedTags(captions: captions, lexicon: lexicon).map { vocabulary.tags[$0] }
        XCTAssertEqual(ordered, ["dog", "ball", "grass", "man", "frisbee", "beach"])
    }

    func testTiesBrokenByNameAndPluralsCountAsOneTag() throws {
        let lexicon = try lexicon()
        let vocabulary = TagGroundTruth(tags: ["child", "man", "woman"])
        let captions = ["Children and men .", "Men and children ."]  // equal counts, equal mean positions (0+2)/2
        let ordered = vocabulary.orderedTags(captions: captions, lexicon: lexicon).map { vocabulary.tags[$0] }
        XCTAssertEqual(ordered, ["child", "man"])
    }

    func testVocabularyKeepsFrequentVisualNouns() throws {
        let lexicon = try lexicon()
        let captions = [[String](repeating: "A dog in front of a car on the grass .", count: 3), ["A dog ."]]
        let vocabulary = TagGroundTruth.vocabulary(captions: captions, lexicon: lexicon, minimumCount: 3)
        // dog 4, car 3, grass 3; "front" is on the non-visual list, "a"/"in"/"on" are function words.
        XCTAssertEqual(vocabulary.tags, ["dog", "car", "grass"])
    }

    func testMetricsOnHandComputedLists() {
        // truth [7, 3]: relevances 2, 1. Perfect order → NDCG 1 at every k.
        XCTAssertEqual(TagMetrics.ndcg(predicted: [7, 3, 9], truth: [7, 3], k: 3), 1, accuracy: 1e-12)
        // Swapped: DCG@2 = 1 + 2/log2(3), ideal 2 + 1/log2(3).
        let swapped = (1 + 2 / log2(3.0)) / (2 + 1 / log2(3.0))
        XCTAssertEqual(TagMetrics.ndcg(predicted: [3, 7], truth: [7, 3], k: 2), swapped, accuracy: 1e-12)
        XCTAssertEqual(TagMetrics.precision(predicted: [3, 9, 7, 1], truth: [7, 3], k: 4), 0.5)
        XCTAssertEqual(TagMetrics.precision(predicted: [9], truth: [7, 3], k: 2), 0)
        let averages = TagMetrics.averages(predicted: [[7, 3], [5]], truth: [[7, 3], []])
        XCTAssertEqual(averages.ndcg, 1, accuracy: 1e-12, "a photo without truth is not counted")
        XCTAssertEqual(averages.precision, (1 + 1 + (2.0 / 3) + 0.5 + 0.4 + (2.0 / 6) + (2.0 / 7) + 0.25 + (2.0 / 9) + 0.2) / 10, accuracy: 1e-12)
    }
}
