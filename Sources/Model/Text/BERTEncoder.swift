import ModelFormat

// N = tokens of a batch packed row after row (no padding), S = sequences,
// C = hidden size, I = intermediate size.

/// A BERT encoder (embeddings + transformer layers) over OpenBLAS, reading its
/// weights straight from a memory-mapped file.
///
/// A batch is packed: the sequences' tokens are stacked without padding, the
/// dense layers run over all of them at once and attention runs per
/// sequence. That computes exactly what a padded batch with an attention mask
/// computes, without the padded rows. Every call allocates its own
/// activations, so one encoder serves any number of threads.
public final class BERTEncoder: Sendable {
    public let configuration: BERTConfiguration
    /// The dense layers' arithmetic; attention, softmax, GELU and LayerNorm
    /// stay float32 either way.
    public let precision: TextPrecision
    let weights: BERTWeights
    /// The dense layers quantised at load, one per transformer layer (int8 only).
    let quantizedLayers: [QuantizedLayer]
    let quantizedKernel: QuantizedKernel

    public convenience init(weights file: WeightFile, precision: TextPrecision = .shipped) throws {
        try self.init(weights: file, precision: precision, kernel: .automatic)
    }

    /// With `kernel`, tests run the portable integer kernel on any CPU.
    init(weights file: WeightFile, precision: TextPrecision, kernel: QuantizedKernel) throws {
        weights = try BERTWeights(file: file)
        configuration = weights.configuration
        self.precision = precision
        quantizedLayers = precision == .int8 ? weights.layers.map(QuantizedLayer.init) : []
        quantizedKernel = kernel
    }

    /// The last layer's hidden states, (N,C) with N = Σ sequences[s].count.
    /// Throws unless every sequence is 1...P tokens long with ids in 0..<V.
    public func hiddenStates(_ sequences: [[Int]]) throws -> [Float] {
        try validate(sequences)
        return hiddenStatesOfValidated(sequences)
    }

    func validate(_ sequences: [[Int]]) throws {
        let c = configuration
        for (index, sequence) in sequences.enumerated() {
            guard (1...c.maxPositions).contains(sequence.count) else {
                throw SentenceEncoderError.invalidTokens("sequence \(index) has \(sequence.count) tokens, the model takes 1...\(c.maxPositions)")
            }
            if let bad = sequence.first(where: { $0 < 0 || $0 >= c.vocabularySize }) {
                throw SentenceEncoderError.invalidTokens("sequence \(index) has id \(bad), the vocabulary has \(c.vocabularySize)")
            }
        }
    }

    /// `hiddenStates` for sequences already checked by `validate`.
    func hiddenStatesOfValidated(_ sequences: [[Int]]) -> [Float] {
        let c = configuration
        let tokens = sequences.reduce(0) { $0 + $1.count }
        let longest = sequences.map(\.count).max() ?? 0
        let activations = BERTActivations(tokens: tokens, longest: longest, configuration: c)
        let rows = precision == .int8 ? QuantizedRows(tokens: tokens, maxInputs: max(c.hiddenSize, c.intermediateSize)) : nil
        embed(sequences, into: activations.hidden)
        for (index, layer) in weights.layers.enumerated() {
            let dense = rows.map { DenseLayers.quantized(quantizedLayers[index], $0, quantizedKernel) } ?? .float(layer)
            forward(layer, dense, sequences: sequences, activations)
        }
        return Array(UnsafeBufferPointer(start: activations.hidden, count: tokens * c.hiddenSize))
    }

    /// hidden (N,C) ← LayerNorm(word[id] + position[t] + tokenType[0]).
    private func embed(_ sequences: [[Int]], into hidden: UnsafeMutablePointer<Float>) {
        let channels = configuration.hiddenSize
        var row = hidden
        for sequence in sequences {
            for (position, id) in sequence.enumerated() {
                let word = weights.wordEmbeddings.baseAddress + id * channels
                let place = weights.positionEmbeddings.baseAddress + position * channels
                let type = weights.tokenTypeEmbeddings.baseAddress
                for j in 0..<channels { row[j] = word[j] + place[j] + type[j] }
                row += channels
            }
        }
        let tokens = sequences.reduce(0) { $0 + $1.count }
        bertLayerNorm(hidden, weight: weights.embeddingNormWeight.baseAddress,
                      bias: weights.embeddingNormBias.baseAddress,
                      tokens: tokens, channels: channels, epsilon: configuration.layerNormEpsilon)
    }

    /// One transformer layer, hidden (N,C) → hidden (N,C):
    /// h = LN(h + Attention(h) Woᵀ), h = LN(h + GELU(h Wiᵀ) W₂ᵀ).
    private func forward(_ layer: BERTLayerWeights, _ dense: DenseLayers, sequences: [[Int]], _ a: BERTActivations) {
        let (n, c) = (a.tokens, configuration.hiddenSize)
        let epsilon = configuration.layerNormEpsilon
        dense.queryKeyValue(a, tokens: n)
        var start = 0
        for sequence in sequences where !sequence.isEmpty {
            let offset = start * c
            bertSelfAttention(context: a.context + offset, query: a.query + offset, key: a.key + offset,
                              value: a.value + offset, scores: a.scores,
                              length: sequence.count, channels: c, heads: configuration.heads)
            start += sequence.count
        }
        // hidden ← LN(hidden + context Woᵀ + bo)
        dense.attentionOutput(a, tokens: n)
        bertLayerNorm(a.hidden, weight: layer.attentionNormWeight.baseAddress,
                      bias: layer.attentionNormBias.baseAddress, tokens: n, channels: c, epsilon: epsilon)
        // intermediate (N,I) = GELU(hidden Wiᵀ + bi); hidden ← LN(hidden + intermediate W₂ᵀ + b₂)
        dense.intermediate(a, tokens: n)
        bertGELU(a.intermediate, count: n * configuration.intermediateSize)
        dense.output(a, tokens: n)
        bertLayerNorm(a.hidden, weight: layer.outputNormWeight.baseAddress,
                      bias: layer.outputNormBias.baseAddress, tokens: n, channels: c, epsilon: epsilon)
    }
}

/// A layer's four dense steps, float32 over OpenBLAS or integer.
private enum DenseLayers {
    case float(BERTLayerWeights)
    case quantized(QuantizedLayer, QuantizedRows, QuantizedKernel)

    /// query, key, value (N,C) ← hidden Wᵀ + b; the integer path quantises hidden once for all three.
    func queryKeyValue(_ a: BERTActivations, tokens n: Int) {
        switch self {
        case let .float(layer):
            let c = layer.queryBias.count
            bertLinear(a.query, a.hidden, weight: layer.query.baseAddress, bias: layer.queryBias.baseAddress,
                       tokens: n, outFeatures: c, inFeatures: c)
            bertLinear(a.key, a.hidden, weight: layer.key.baseAddress, bias: layer.keyBias.baseAddress,
                       tokens: n, outFeatures: c, inFeatures: c)
            bertLinear(a.value, a.hidden, weight: layer.value.baseAddress, bias: layer.valueBias.baseAddress,
                       tokens: n, outFeatures: c, inFeatures: c)
        case let .quantized(layer, rows, kernel):
            rows.quantize(a.hidden, tokens: n, for: layer.query)
            layer.query.apply(a.query, rows, tokens: n, kernel: kernel)
            layer.key.apply(a.key, rows, tokens: n, kernel: kernel)
            layer.value.apply(a.value, rows, tokens: n, kernel: kernel)
        }
    }

    /// hidden ← hidden + context Woᵀ + bo.
    func attentionOutput(_ a: BERTActivations, tokens n: Int) {
        switch self {
        case let .float(layer):
            let c = layer.attentionOutputBias.count
            bertLinear(a.hidden, a.context, weight: layer.attentionOutput.baseAddress,
                       bias: layer.attentionOutputBias.baseAddress,
                       tokens: n, outFeatures: c, inFeatures: c, accumulate: true)
        case let .quantized(layer, rows, kernel):
            rows.quantize(a.context, tokens: n, for: layer.attentionOutput)
            layer.attentionOutput.apply(a.hidden, rows, tokens: n, accumulate: true, kernel: kernel)
        }
    }

    /// intermediate (N,I) ← hidden Wiᵀ + bi.
    func intermediate(_ a: BERTActivations, tokens n: Int) {
        switch self {
        case let .float(layer):
            bertLinear(a.intermediate, a.hidden, weight: layer.intermediate.baseAddress,
                       bias: layer.intermediateBias.baseAddress, tokens: n,
                       outFeatures: layer.intermediateBias.count, inFeatures: layer.outputBias.count)
        case let .quantized(layer, rows, kernel):
            rows.quantize(a.hidden, tokens: n, for: layer.intermediate)
            layer.intermediate.apply(a.intermediate, rows, tokens: n, kernel: kernel)
        }
    }

    /// hidden ← hidden + intermediate W₂ᵀ + b₂.
    func output(_ a: BERTActivations, tokens n: Int) {
        switch self {
        case let .float(layer):
            bertLinear(a.hidden, a.intermediate, weight: layer.output.baseAddress, bias: layer.outputBias.baseAddress,
                       tokens: n, outFeatures: layer.outputBias.count, inFeatures: layer.intermediateBias.count,
                       accumulate: true)
        case let .quantized(layer, rows, kernel):
            rows.quantize(a.intermediate, tokens: n, for: layer.output)
            layer.output.apply(a.hidden, rows, tokens: n, accumulate: true, kernel: kernel)
        }
    }
}

/// One call's activations, freed when the call ends.
final class BERTActivations {
    let tokens: Int
    let hidden: UnsafeMutablePointer<Float>       // (N,C)
    let query, key, value: UnsafeMutablePointer<Float> // (N,C) each
    let context: UnsafeMutablePointer<Float>      // (N,C)
    let intermediate: UnsafeMutablePointer<Float> // (N,I)
    let scores: UnsafeMutablePointer<Float>       // (L,L), L = longest sequence
    private let storage: UnsafeMutablePointer<Float>

    init(tokens: Int, longest: Int, configuration: BERTConfiguration) {
        let (c, i) = (configuration.hiddenSize, configuration.intermediateSize)
        let nc = tokens * c
        let count = 5 * nc + tokens * i + longest * longest
        self.tokens = tokens
        storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: 0, count: max(count, 1))
        hidden = storage
        query = storage + nc
        key = storage + 2 * nc
        value = storage + 3 * nc
        context = storage + 4 * nc
        intermediate = storage + 5 * nc
        scores = intermediate + tokens * i
    }

    deinit { storage.deallocate() }
}
