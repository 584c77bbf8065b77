import Foundation
import XCTest
@testable import Model

final class TfIdfTests: XCTestCase {
    /// Word → stem pairs given as examples in Porter (1980), step by step.
    func testPorterStemmerOnThePapersExamples() {
        let examples: [(String, String)] = [
            // Step 1a
            ("caresses", "caress"), ("ponies", "poni"), ("ties", "ti"), ("caress", "caress"), ("cats", "cat"),
            // Step 1b
            ("feed", "feed"), ("agreed", "agre"), ("plastered", "plaster"), ("bled", "bled"), ("motoring", "motor"),
            ("sing", "sing"), ("conflated", "conflat"), ("troubled", "troubl"), ("sized", "size"), ("hopping", "hop"),
            ("tanned", "tan"), ("falling", "fall"), ("hissing", "hiss"), ("fizzed", "fizz"), ("failing", "fail"),
            ("filing", "file"),
            // Step 1c
            ("happy", "happi"), ("sky", "sky"),
            // Steps 2–4 (whole-algorithm results of the paper's examples)
            ("relational", "relat"), ("conditional", "condit"), ("rational", "ration"), ("valenci", "valenc"),
            ("hesitanci", "hesit"), ("digitizer", "digit"), ("conformabli", "conform"), ("radicalli", "radic"),
            ("differentli", "differ"), ("vileli", "vile"), ("analogousli", "analog"), ("vietnamization", "vietnam"),
            ("predication", "predic"), ("operator", "oper"), ("feudalism", "feudal"), ("decisiveness", "decis"),
            ("hopefulness", "hope"), ("callousness", "callous"), ("formaliti", "formal"), ("sensitiviti", "sensit"),
            ("sensibiliti", "sensibl"), ("triplicate", "triplic"), ("formative", "form"), ("formalize", "formal"),
            ("electriciti", "electr"), ("electrical", "electr"), ("hopeful", "hope"), ("goodness", "good"),
            ("revival", "reviv"), ("allowance", "allow"), ("inference", "infer"), ("airliner", "airlin"),
            ("gyroscopic", "gyroscop"), ("adjustable", "adjust"), ("defensible", "defens"), ("irritant", "irrit"),
            ("replacement", "replac"), ("adjustment", "adjust"), ("dependent", "depend"), ("adoption", "adopt"),
            ("homologou", "homolog"), ("communism", "commun"), ("activate", "activ"), ("angulariti", "angular"),
            ("homologous", "homolog"), ("effective", "effect"), ("bowdlerize", "bowdler"),
            // Step 5
            ("probate", "probat"), ("rate", "rate"), ("cease", "ceas"), ("controll", "control"), ("roll", "roll"),
            // The paper's conflation example
            ("connect", "connect"), ("connected", "connect"), ("connecting", "connect"), ("connection", "connect"),
            ("connections", "connect"),
        ]
        for (word, stem) in examples {
            XCTAssertEqual(PorterStemmer.stem(word), stem, "stem of \(word)")
        }
    }

    func testTokenizerDropsStopWordsAndStems() {
        XCTAssertEqual(TfIdfTokenizer.terms("Two dogs are running on the beach."), ["two", "dog", "run", "beach"])
        XCTAssertEqual(TfIdfTokenizer.terms("A DOG's ball, 3 balls!"), ["dog", "ball", "ball"])
        XCTAssertEqual(TfIdfTokenizer.terms(""), [])
    }

    /// Three documents, hand-computed. Document frequencies: dog 2, beach 2,
    /// run 1, cat 1, grass 1; so a = idf(dog) = idf(beach) = ln(3/2) and
    /// b = idf(run) = idf(cat) = idf(grass) = ln 3. "dog" occurs twice in doc 0.
    func testToyCorpusVectorsAndSimilarities() {
        let documents = [["A dog on the beach.", "The dog runs."], ["A cat on the beach."], ["A dog in the grass."]]
        let model = TfIdfModel(documents: documents)
        let a = log(3.0 / 2.0), b = log(3.0)
        XCTAssertEqual(model.termCount, 5)
        XCTAssertEqual(Double(model.idf[Int(model.vocabulary["dog"]!)]), a, accuracy: 1e-6)
        XCTAssertEqual(Double(model.idf[Int(model.vocabulary["beach"]!)]), a, accuracy: 1e-6)
        XCTAssertEqual(Double(model.idf[Int(model.vocabulary["run"]!)]), b, accuracy: 1e-6)

        let v = documents.map { model.vector($0) }
        // doc 0 = (dog 2a, beach a, run b); doc 1 = (cat b, beach a); doc 2 = (dog a, grass b).
        let norm0 = (5 * a * a + b * b).squareRoot(), norm12 = (a * a + b * b).squareRoot()
        XCTAssertEqual(Double(v[0].dot(v[1])), a * a / (norm0 * norm12), accuracy: 1e-5)
        XCTAssertEqual(Double(v[0].dot(v[2])), 2 * a * a / (norm0 * norm12), accuracy: 1e-5)
        XCTAssertEqual(Double(v[1].dot(v[2])), 0, accuracy: 1e-7)
        for x in v { XCTAssertEqual(x.dot(x), 1, accuracy: 1e-5) }
        // Unknown words contribute nothing; a document of only those is the zero vector.
        XCTAssertEqual(model.vector(["zebra zebra"]), SparseVector())
    }
}
