import ModelFormat

// C = hidden size, I = intermediate size, V = vocabulary size,
// P = position embeddings, H = attention heads. Linear weights are stored
// (out, in), as PyTorch's nn.Linear keeps them, and used transposed in place.

/// The dimensions of a BERT encoder.
public struct BERTConfiguration: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var layerNormEpsilon: Float
    public var headSize: Int { hiddenSize / heads }
}

/// One transformer layer's tensors, pointing into the mapped weight file.
struct BERTLayerWeights: Sendable {
    let query, key, value: FloatTensorView            // (C,C) each
    let queryBias, keyBias, valueBias: FloatTensorView // (C) each
    let attentionOutput: FloatTensorView               // (C,C)
    let attentionOutputBias: FloatTensorView           // (C)
    let attentionNormWeight, attentionNormBias: FloatTensorView // (C)
    let intermediate: FloatTensorView                  // (I,C)
    let intermediateBias: FloatTensorView              // (I)
    let output: FloatTensorView                        // (C,I)
    let outputBias: FloatTensorView                    // (C)
    let outputNormWeight, outputNormBias: FloatTensorView // (C)
}

/// Every tensor of the encoder, read from the file without copying.
struct BERTWeights: Sendable {
    let configuration: BERTConfiguration
    let wordEmbeddings: FloatTensorView     // (V,C)
    let positionEmbeddings: FloatTensorView // (P,C)
    let tokenTypeEmbeddings: FloatTensorView // (2,C); sentences use type 0
    let embeddingNormWeight, embeddingNormBias: FloatTensorView // (C)
    let layers: [BERTLayerWeights]

    /// Reads the tensors `tools/convert/minilm.py` writes (Hugging Face BERT
    /// names); the number of heads comes from the file's metadata.
    init(file: WeightFile) throws {
        let words = try file.floats("embeddings.word_embeddings.weight")
        guard words.shape.count == 2 else {
            throw SentenceEncoderError.invalidModel(path: file.path, reason: "word embeddings have shape \(words.shape)")
        }
        let (vocabularySize, hidden) = (words.shape[0], words.shape[1])
        guard let heads = file.metadata["num_heads"].flatMap(Int.init), heads > 0, hidden % heads == 0 else {
            throw SentenceEncoderError.invalidModel(path: file.path, reason: "metadata num_heads is missing or does not divide hidden size \(hidden)")
        }
        guard let layerCount = file.metadata["num_layers"].flatMap(Int.init), layerCount > 0 else {
            throw SentenceEncoderError.invalidModel(path: file.path, reason: "metadata num_layers is missing")
        }
        let epsilon = file.metadata["layer_norm_eps"].flatMap(Float.init) ?? 1e-12
        let positions = try file.floats("embeddings.position_embeddings.weight")
        guard positions.shape.count == 2, positions.shape[1] == hidden, positions.shape[0] >= 2 else {
            throw SentenceEncoderError.invalidModel(path: file.path, reason: "position embeddings have shape \(positions.shape)")
        }
        let intermediateShape = try file.floats("encoder.layer.0.intermediate.dense.weight").shape
        guard intermediateShape.count == 2, intermediateShape[1] == hidden else {
            throw SentenceEncoderError.invalidModel(path: file.path, reason: "intermediate weight has shape \(intermediateShape)")
        }
        let inner = intermediateShape[0]
        configuration = BERTConfiguration(
            hiddenSize: hidden, layers: layerCount, heads: heads, intermediateSize: inner,
            vocabularySize: vocabularySize, maxPositions: positions.shape[0], layerNormEpsilon: epsilon)

        wordEmbeddings = words
        positionEmbeddings = positions
        tokenTypeEmbeddings = try file.floats("embeddings.token_type_embeddings.weight", shape: [2, hidden])
        embeddingNormWeight = try file.floats("embeddings.LayerNorm.weight", shape: [hidden])
        embeddingNormBias = try file.floats("embeddings.LayerNorm.bias", shape: [hidden])
        layers = try (0..<layerCount).map { index in
            let prefix = "encoder.layer.\(index)."
            func tensor(_ name: String, _ shape: [Int]) throws -> FloatTensorView {
                try file.floats(prefix + name, shape: shape)
            }
            return BERTLayerWeights(
                query: try tensor("attention.self.query.weight", [hidden, hidden]),
                key: try tensor("attention.self.key.weight", [hidden, hidden]),
                value: try tensor("attention.self.value.weight", [hidden, hidden]),
                queryBias: try tensor("attention.self.query.bias", [hidden]),
                keyBias: try tensor("attention.self.key.bias", [hidden]),
                valueBias: try tensor("attention.self.value.bias", [hidden]),
                attentionOutput: try tensor("attention.output.dense.weight", [hidden, hidden]),
                attentionOutputBias: try tensor("attention.output.dense.bias", [hidden]),
                attentionNormWeight: try tensor("attention.output.LayerNorm.weight", [hidden]),
                attentionNormBias: try tensor("attention.output.LayerNorm.bias", [hidden]),
                intermediate: try tensor("intermediate.dense.weight", [inner, hidden]),
                intermediateBias: try tensor("intermediate.dense.bias", [inner]),
                output: try tensor("output.dense.weight", [hidden, inner]),
                outputBias: try tensor("output.dense.bias", [hidden]),
                outputNormWeight: try tensor("output.LayerNorm.weight", [hidden]),
                outputNormBias: try tensor("output.LayerNorm.bias", [hidden]))
        }
    }
}
