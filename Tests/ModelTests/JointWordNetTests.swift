import Foundation
import TestSupport
import XCTest
@testable import Model

final class JointWordNetTests: XCTestCase {
    func testParsesASynsetLineWithHexWordCountAndStripsExamples() {
        let line = "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 023 @ 02083346 n 0000 | a member of the genus Canis; \"the dog barked all night\"  "
        let synset = WordNetNouns.parse(line: line, offset: 2_084_071)
        XCTAssertEqual(synset?.words, ["dog", "domestic dog", "Canis familiaris"])
        XCTAssertEqual(synset?.gloss, "a member of the genus Canis")
        XCTAssertNil(WordNetNouns.parse(line: line, offset: 1), "the offset must match the line")
    }

    func testClassPhrasesUseNameSynonymsAndGloss() {
        let synset = WordNetNouns.Synset(words: ["tabby", "tabby cat"], gloss: "a cat with a grey or tawny coat")
        let phrases = ClassPhrases.phrases(name: "tabby cat", synset: synset)
        XCTAssertEqual(phrases, ["a photo of a tabby cat.", "a picture of a tabby cat.", "tabby cat",
                                 "a photo of a tabby.", "tabby cat, a cat with a grey or tawny coat."])
        XCTAssertEqual(ClassPhrases.phrases(name: "kite", synset: nil).count, 3)
    }

    func testImageNetIdsResolveInTheInstalledWordNet() throws {
        guard FileManager.default.fileExists(atPath: WordNetNouns.defaultPath) else {
            throw XCTSkip("WordNet is not installed (apt install wordnet-base)")
        }
        let nouns = try WordNetNouns()
        let dog = try XCTUnwrap(nouns.synset(imagenetID: "n02084071"))
        XCTAssertTrue(dog.words.contains("dog"))
        XCTAssertNil(nouns.synset(imagenetID: "n99999999"))
        XCTAssertNil(nouns.synset(imagenetID: "x02084071"))
    }
}
