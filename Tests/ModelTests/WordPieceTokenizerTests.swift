import XCTest
@testable import Model

/// The tokenizer's rules on a hand-made vocabulary, each expectation worked
/// out by hand from BERT's description.
final class WordPieceTokenizerTests: XCTestCase {
    private let vocabulary = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "un", "##aff", "##able", "hello", "world", "!", ",", "cafe", "zurich", "$", "5",
        "猫", "の", "a", "##a", "##b", "ab", "e", "-", "mail",
    ]

    private func tokenizer(maxLength: Int = 256) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: vocabulary, maxLength: maxLength)
    }

    func testGreedyLongestMatchWithContinuations() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.wordPieces("unaffable"), ["un", "##aff", "##able"])
        // "ab" is preferred to "a" + "##b": longest match first.
        XCTAssertEqual(t.wordPieces("ab"), ["ab"])
        XCTAssertEqual(t.wordPieces("abb"), ["ab", "##b"])
    }

    func testUnsplittableWordIsOneUnknown() throws {
        let t = try tokenizer()
        // "unx": "un" matches but "##x" does not, so the whole word is [UNK].
        XCTAssertEqual(t.wordPieces("hello unx world"), ["hello", "[UNK]", "world"])
    }

    func testOverlongWordIsUnknown() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.wordPieces(String(repeating: "a", count: 100)), ["a"] + Array(repeating: "##a", count: 99))
        XCTAssertEqual(t.wordPieces(String(repeating: "a", count: 101)), ["[UNK]"])
    }

    func testLowercasingAccentsAndPunctuation() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.wordPieces("HELLO, World!"), ["hello", ",", "world", "!"])
        XCTAssertEqual(t.wordPieces("Café ZÜRICH"), ["cafe", "zurich"])
        // Decomposed input (e + combining acute) gives the same tokens.
        XCTAssertEqual(t.wordPieces("Cafe\u{301}"), ["cafe"])
        // ASCII symbols that Unicode does not call punctuation are split too.
        XCTAssertEqual(t.wordPieces("$5"), ["$", "5"])
        XCTAssertEqual(t.wordPieces("e-mail"), ["e", "-", "mail"])
    }

    func testFinalSigma() {
        // Python's str.lower, which BERT's reference uses, applies Unicode's Final_Sigma rule.
        XCTAssertEqual(WordPieceBasicTokenizer.lowercased("ΟΔΟΣ"), "οδος")
        XCTAssertEqual(WordPieceBasicTokenizer.lowercased("ΣΟΦΟΣ,"), "σοφος,")
        XCTAssertEqual(WordPieceBasicTokenizer.lowercased("Σ"), "σ")
        XCTAssertEqual(WordPieceBasicTokenizer.lowercased("ΑΣ'Α"), "ασ'α")
    }

    func testWhitespaceControlAndCJK() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.wordPieces("hello\tworld\n\u{2028}hello"), ["hello", "world", "hello"])
        // NUL, BEL, U+FFFD and a zero-width space are dropped, not separators.
        XCTAssertEqual(t.wordPieces("hel\u{0}lo wor\u{7}l\u{FFFD}d \u{200B}"), ["hello", "world"])
        // Ideographs stand alone even without spaces; kana is not split off.
        XCTAssertEqual(t.wordPieces("猫猫"), ["猫", "猫"])
        XCTAssertEqual(t.wordPieces("猫の"), ["猫", "の"])
    }

    func testSpecialTokensAndTruncation() throws {
        let t = try tokenizer(maxLength: 4)
        XCTAssertEqual(t.tokenize(""), [2, 3])
        XCTAssertEqual(t.tokenize("hello"), [2, 8, 3])
        XCTAssertEqual(t.tokenize("hello world hello world"), [2, 8, 9, 3])
    }

    func testBadVocabularyAndLengthThrow() {
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: ["[PAD]", "[UNK]", "[CLS]"])) { error in
            XCTAssertEqual(error as? SentenceEncoderError, .missingSpecialToken("[SEP]"))
        }
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: vocabulary, maxLength: 1))
        XCTAssertThrowsError(try WordPieceTokenizer(vocabularyPath: "/nonexistent/vocab.txt")) { error in
            guard case .cannotReadVocabulary = error as? SentenceEncoderError else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }
}
