import Model
import Training
import XCTest

/// The tagger's confidence cutoff: the highest threshold that keeps 90% of
/// the correct tags after each list's first.
final class TagCutoffTests: XCTestCase {
    func testCutoffKeepsNineTenthsOfTheCorrectTagsAfterTheFirst() {
        // Ten correct tags after the first, scored 0.1…1.0; wrong ones and first tags do not count.
        var lists: [[(tag: Int, score: Float)]] = [], truth: [[Int]] = []
        for i in 1...10 {
            lists.append([(0, 0.01), (1, Float(i) / 10), (2, 0.99)])
            truth.append([0, 1])
        }
        let cutoff = TagCutoff.choose(lists: lists, truth: truth)
        XCTAssertEqual(cutoff, 0.2, accuracy: 1e-6)
        let effect = TagCutoff.effect(lists: lists, truth: truth, cutoff: cutoff)
        XCTAssertEqual(effect.correctKept, 19.0 / 20, accuracy: 1e-9, "9 of 10 after-first tags and every first tag")
        // Photo 1 keeps only its first tag (0.1 < 0.2), the others all three.
        XCTAssertEqual(effect.tagsPerPhoto, 2.8, accuracy: 1e-9)
        XCTAssertEqual(TagCutoff.effect(lists: lists, truth: truth, cutoff: nil).tagsPerPhoto, 3)
    }

    func testNoCorrectTagsAfterTheFirstCutsNothing() {
        XCTAssertEqual(TagCutoff.choose(lists: [[(0, 0.5), (3, 0.4)]], truth: [[0]]), 0)
    }
}
