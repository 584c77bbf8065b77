import CQuantGemm
import ModelFormat

// N = tokens, K = input features (padded to whole column pairs in the
// quantised rows), M = output features.

/// Which integer kernel runs the products; every kernel gives the same bits.
public enum QuantizedKernel: Sendable {
    /// The fastest the CPU supports (AVX-512 VNNI, else AVX2, where present).
    case automatic
    /// The portable C loops, for comparing against the vector kernel.
    case portable

    var c: pq_kernel { self == .automatic ? PQ_KERNEL_AUTO : PQ_KERNEL_PORTABLE }
}

/// A dense layer with int8 weights, quantised and packed once at load:
/// out (N,M) = x (N,K) · wᵀ + bias, with x quantised per token to int16 and
/// the int32 sums rescaled in float.
///
/// Immutable after init, so one instance serves every thread.
final class QuantizedLinear: @unchecked Sendable {
    /// Weights are rounded to integers in ±weightLimit (int8).
    static let weightLimit: Int32 = 127

    let outFeatures, inFeatures: Int
    /// The largest |activation| that keeps every int32 sum exact for this K.
    let activationLimit: Int32
    private let packed: UnsafeMutablePointer<Int16>
    private let scales: UnsafeMutablePointer<Float> // (M)
    private let bias: FloatTensorView                // (M)

    /// - Parameter weight: (M,K), stored (out, in) as in the model file.
    init(weight: FloatTensorView, bias: FloatTensorView) {
        precondition(weight.shape.count == 2 && bias.count == weight.shape[0], "QuantizedLinear: shape mismatch")
        (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        self.bias = bias
        let (m, k) = (Int32(weight.shape[0]), Int32(weight.shape[1]))
        // Cache-line aligned, so no 32-byte load of a block straddles two lines.
        let count = Int(pq_packed_weight_count(m, k))
        let packed = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Int16>.stride, alignment: 64)
            .bindMemory(to: Int16.self, capacity: count)
        let scales = UnsafeMutablePointer<Float>.allocate(capacity: Int(m))
        withUnsafeTemporaryAllocation(of: Int16.self, capacity: max(1, Int(k))) { row in
            pq_pack_weights(weight.baseAddress, m, k, Self.weightLimit, packed, scales, row.baseAddress!)
        }
        (self.packed, self.scales) = (packed, scales)
        activationLimit = pq_activation_limit(k, Self.weightLimit)
    }

    deinit {
        packed.deallocate()
        scales.deallocate()
    }

    /// out (N,M) ← rows · wᵀ + bias, or out + that with `accumulate` (out
    /// holds the residual). `rows` must come from `QuantizedRows.quantize`
    /// with this layer's K and activation limit.
    func apply(_ out: UnsafeMutablePointer<Float>, _ rows: QuantizedRows, tokens: Int,
               accumulate: Bool = false, kernel: QuantizedKernel = .automatic) {
        precondition(tokens <= rows.capacityTokens && rows.quantizedInputs == inFeatures
                     && rows.quantizedLimit == activationLimit, "QuantizedLinear: rows quantised for another layer")
        pq_linear(out, rows.values, rows.scales, packed, scales, bias.baseAddress, Int32(tokens), Int32(outFeatures),
                  Int32(inFeatures), accumulate ? 1 : 0, kernel.c)
    }
}

/// Activations quantised per token row, the input of `QuantizedLinear`.
/// One buffer per forward pass, reused by every layer.
final class QuantizedRows {
    let capacityTokens: Int
    let values: UnsafeMutablePointer<Int16> // (N, padded K)
    let scales: UnsafeMutablePointer<Float> // (N)
    private(set) var quantizedInputs = 0
    private(set) var quantizedLimit: Int32 = 0

    /// Room for `tokens` rows of up to `maxInputs` features.
    init(tokens: Int, maxInputs: Int) {
        capacityTokens = tokens
        values = .allocate(capacity: max(1, tokens * Int(pq_padded_inputs(Int32(maxInputs)))))
        scales = .allocate(capacity: max(1, tokens))
    }

    deinit {
        values.deallocate()
        scales.deallocate()
    }

    /// x (N,K) → integers in ±limit per row, plus the row scales.
    func quantize(_ x: UnsafePointer<Float>, tokens: Int, inputs: Int, limit: Int32) {
        precondition(tokens <= capacityTokens, "QuantizedRows: more tokens than allocated")
        pq_quantize_rows(x, Int32(tokens), Int32(inputs), limit, values, scales)
        quantizedInputs = inputs
        quantizedLimit = limit
    }

    /// Quantises x for `layer` (its K and activation limit).
    func quantize(_ x: UnsafePointer<Float>, tokens: Int, for layer: QuantizedLinear) {
        quantize(x, tokens: tokens, inputs: layer.inFeatures, limit: layer.activationLimit)
    }
}

/// One transformer layer's six dense layers in integer form.
struct QuantizedLayer: Sendable {
    let query, key, value, attentionOutput, intermediate, output: QuantizedLinear

    init(_ layer: BERTLayerWeights) {
        query = QuantizedLinear(weight: layer.query, bias: layer.queryBias)
        key = QuantizedLinear(weight: layer.key, bias: layer.keyBias)
        value = QuantizedLinear(weight: layer.value, bias: layer.valueBias)
        attentionOutput = QuantizedLinear(weight: layer.attentionOutput, bias: layer.attentionOutputBias)
        intermediate = QuantizedLinear(weight: layer.intermediate, bias: layer.intermediateBias)
        output = QuantizedLinear(weight: layer.output, bias: layer.outputBias)
    }
}
