import ModelFormat

/// all-MiniLM-L6-v2 as a sentence encoder: WordPiece tokens → BERT → mean of
/// the last layer over the sentence's tokens → unit L2 norm (384 floats).
///
/// Safe to share between threads: the weights are read-only and every call
/// allocates its own activations.
public final class SentenceEncoder: Sendable {
    /// Tokens per forward pass in `encode(batch:)`, bounding activation memory.
    public static let batchTokenBudget = 4096

    public let tokenizer: WordPieceTokenizer
    public let bert: BERTEncoder
    /// Length of the sentence vectors (the BERT hidden size).
    public var dimension: Int { bert.configuration.hiddenSize }

    /// - Parameters:
    ///   - weights: the converted `minilm-l6.safetensors`.
    ///   - vocabulary: path of the matching vocab.txt (`minilm-vocab.txt`).
    ///   - maxLength: longest token sequence, `[CLS]`/`[SEP]` included; by
    ///     default the model's `max_seq_length` (256) from the file's metadata.
    ///   - precision: the dense layers' arithmetic; by default
    ///     `PHOTOQ_TEXT_PRECISION` if set, else `TextPrecision.shipped`.
    public init(weights: WeightFile, vocabulary: String, maxLength: Int? = nil,
                precision: TextPrecision? = nil) throws {
        bert = try BERTEncoder(weights: weights, precision: precision ?? TextPrecision.fromEnvironment())
        let positions = bert.configuration.maxPositions
        let length = maxLength ?? weights.metadata["max_seq_length"].flatMap(Int.init) ?? min(256, positions)
        guard length >= 2, length <= positions else {
            throw SentenceEncoderError.invalidMaxLength(length, limit: positions)
        }
        tokenizer = try WordPieceTokenizer(vocabularyPath: vocabulary, maxLength: length)
        guard tokenizer.vocabulary.count == bert.configuration.vocabularySize else {
            throw SentenceEncoderError.vocabularyMismatch(vocabulary: tokenizer.vocabulary.count,
                                                          embeddings: bert.configuration.vocabularySize)
        }
    }

    /// An encoder over parts already loaded (tests swap the integer kernel this way).
    init(bert: BERTEncoder, tokenizer: WordPieceTokenizer) {
        self.bert = bert
        self.tokenizer = tokenizer
    }

    /// Loads `minilm-l6.safetensors` and `minilm-vocab.txt` from the model
    /// directory (`ModelPaths.modelDirectory` unless given).
    public convenience init(modelDirectory: String? = nil, maxLength: Int? = nil,
                            precision: TextPrecision? = nil) throws {
        let weights = try WeightFile(path: ModelPaths.model(ModelPaths.sentenceEncoder, in: modelDirectory))
        try self.init(weights: weights, vocabulary: ModelPaths.model(ModelPaths.sentenceVocabulary, in: modelDirectory),
                      maxLength: maxLength, precision: precision)
    }

    /// The dense layers' arithmetic this encoder runs.
    public var precision: TextPrecision { bert.precision }

    /// Appended to a model id wherever embeddings are cached, so float32 and
    /// integer embeddings never share a cache entry (empty for float32, which
    /// keeps the existing caches valid).
    public var cacheKeySuffix: String { precision == .fp32 ? "" : "#\(precision.rawValue)" }

    /// The vocabulary string of token `id` ("##" marks a word's continuation).
    public func tokenString(_ id: Int) -> String { tokenizer.vocabulary[id] }

    /// Token ids the encoder sees for `text` (`[CLS]` … `[SEP]`, truncated).
    public func tokenize(_ text: String) -> [Int] { tokenizer.tokenize(text) }

    /// The unit-norm embedding of `text`, (C).
    public func encode(_ text: String) -> [Float] {
        encodeValidated([tokenizer.tokenize(text)])[0]
    }

    /// Embeddings of several texts, (S) × (C), in input order. Texts of
    /// similar length are run together so long ones do not slow short ones.
    public func encode(batch texts: [String]) -> [[Float]] {
        encodeValidated(texts.map(tokenizer.tokenize))
    }

    /// Embeddings of already tokenized sequences (`tokenize`'s output: each
    /// 1...maxPositions ids in the vocabulary), (S) × (C), in input order.
    public func encode(tokenIDs sequences: [[Int]]) throws -> [[Float]] {
        try bert.validate(sequences)
        return encodeValidated(sequences)
    }

    /// Each text's contextual token states (n_t, C), `[CLS]` and `[SEP]`
    /// included, unnormalised: what the sentence embedding is the mean of.
    public func tokenStates(batch texts: [String]) -> [[Float]] {
        let sequences = texts.map(tokenizer.tokenize)
        let hidden = bert.hiddenStatesOfValidated(sequences)
        var start = 0
        return sequences.map { sequence in
            defer { start += sequence.count }
            return Array(hidden[(start * dimension)..<((start + sequence.count) * dimension)])
        }
    }

    /// One encoder pass for both `encode` and `tokenStates` of each text (a
    /// query that is searched and then reranked needs each), in input order,
    /// in passes of at most `batchTokenBudget` tokens.
    public func encodeWithTokenStates(batch texts: [String]) -> [(embedding: [Float], states: [Float])] {
        let sequences = texts.map(tokenizer.tokenize)
        var out: [(embedding: [Float], states: [Float])] = []
        out.reserveCapacity(texts.count)
        var start = 0
        while start < sequences.count {
            var end = start + 1, tokens = sequences[start].count
            while end < sequences.count, tokens + sequences[end].count <= Self.batchTokenBudget {
                tokens += sequences[end].count
                end += 1
            }
            let chunk = Array(sequences[start..<end])
            let hidden = bert.hiddenStatesOfValidated(chunk)
            let lengths = chunk.map(\.count)
            var row = 0
            for (embedding, length) in zip(pooled(hidden, lengths: lengths), lengths) {
                out.append((embedding, Array(hidden[(row * dimension)..<((row + length) * dimension)])))
                row += length
            }
            start = end
        }
        return out
    }

    /// The tokenizer's output is always valid, so text needs no checks.
    private func encodeValidated(_ sequences: [[Int]]) -> [[Float]] {
        var result = [[Float]](repeating: [], count: sequences.count)
        let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
        var chunk: [Int] = []
        var chunkTokens = 0
        func flush() {
            guard !chunk.isEmpty else { return }
            let vectors = pooledEmbeddings(chunk.map { sequences[$0] })
            for (slot, index) in chunk.enumerated() { result[index] = vectors[slot] }
            chunk.removeAll(keepingCapacity: true)
            chunkTokens = 0
        }
        for index in order {
            if chunkTokens + sequences[index].count > Self.batchTokenBudget { flush() }
            chunk.append(index)
            chunkTokens += sequences[index].count
        }
        flush()
        return result
    }

    /// hidden (N,C) → per sequence mean over its tokens → unit norm, (S) × (C).
    private func pooledEmbeddings(_ sequences: [[Int]]) -> [[Float]] {
        pooled(bert.hiddenStatesOfValidated(sequences), lengths: sequences.map(\.count))
    }

    /// hidden (N,C) of sequences of these lengths → their unit-norm means.
    private func pooled(_ hidden: [Float], lengths: [Int]) -> [[Float]] {
        let channels = dimension
        var start = 0
        return lengths.map { length in
            var mean = [Float](repeating: 0, count: channels)
            for t in start..<(start + length) {
                for j in 0..<channels { mean[j] += hidden[t * channels + j] }
            }
            start += length
            let scale = 1 / Float(max(length, 1))
            for j in 0..<channels { mean[j] *= scale }
            return normalizedL2(mean)
        }
    }
}
