import ArgumentParser
import Foundation
import Model
import ModelFormat

/// `photoq-model embed-text "some text"`: the sentence encoder's vector for a
/// text, as JSON on stdout (for debugging queries and comparing with other
/// implementations).
struct EmbedText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed-text",
        abstract: "Print the sentence embedding of each text as one JSON document per line.")

    @Argument(help: "The texts to embed.")
    var texts: [String]

    @Option(name: .customLong("model-dir"), help: "Directory of the installed models (default: $PHOTOQ_MODEL_DIR).")
    var modelDirectory: String?

    @Option(help: "Longest token sequence, [CLS] and [SEP] included (default: the model's, 256).")
    var maxLength: Int?

    /// One line of output; `version` changes when fields change meaning.
    struct Document: Encodable {
        var version = 1
        let model: String
        let text: String
        let tokens: [String]
        let tokenIDs: [Int]
        let embedding: [Float]

        enum CodingKeys: String, CodingKey {
            case version, model, text, tokens, embedding
            case tokenIDs = "token_ids"
        }
    }

    func validate() throws {
        if texts.isEmpty { throw ValidationError("Give at least one text to embed.") }
    }

    func run() throws {
        let directory = modelDirectory ?? ModelPaths.modelDirectory
        let weights = try WeightFile(path: ModelPaths.model(ModelPaths.sentenceEncoder, in: directory))
        let encoder = try SentenceEncoder(
            weights: weights, vocabulary: ModelPaths.model(ModelPaths.sentenceVocabulary, in: directory),
            maxLength: maxLength)
        let model = weights.metadata["model_id"] ?? ModelPaths.sentenceEncoder
        let jsonEncoder = JSONEncoder()
        jsonEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (text, embedding) in zip(texts, encoder.encode(batch: texts)) {
            let ids = encoder.tokenize(text)
            let document = Document(model: model, text: text, tokens: ids.map { encoder.tokenizer.vocabulary[$0] },
                                    tokenIDs: ids, embedding: embedding)
            print(String(decoding: try jsonEncoder.encode(document), as: UTF8.self))
        }
    }
}
