/// Symmetric int8 quantisation of a vector: each value becomes
/// round(x / scale) with scale = max|x| / 127, so codes lie in [-127, 127]
/// (never -128: the scan kernels rely on it) and x ≈ code × scale.
/// The dot product of two quantised vectors is then
/// scaleA × scaleB × Σ codeA·codeB, an integer sum the scan kernels compute.
enum Quantizer {
    static let maximumCode: Float = 127

    /// Writes `vector`'s codes to `codes` and returns its scale (0 for the zero vector).
    @discardableResult
    static func quantize(_ vector: UnsafeBufferPointer<Float>, into codes: UnsafeMutablePointer<Int8>) -> Float {
        var largest: Float = 0
        for value in vector { largest = max(largest, abs(value)) }
        guard largest > 0 else {
            codes.update(repeating: 0, count: vector.count)
            return 0
        }
        let inverse = maximumCode / largest
        for (i, value) in vector.enumerated() {
            codes[i] = Int8(max(-maximumCode, min(maximumCode, (value * inverse).rounded())))
        }
        return largest / maximumCode
    }

    static func quantize(_ vector: [Float]) -> (codes: [Int8], scale: Float) {
        var scale: Float = 0
        let codes = [Int8](unsafeUninitializedCapacity: vector.count) { buffer, initialized in
            scale = vector.withUnsafeBufferPointer { quantize($0, into: buffer.baseAddress!) }
            initialized = vector.count
        }
        return (codes, scale)
    }

    /// The vector the codes stand for.
    static func dequantize(_ codes: [Int8], scale: Float) -> [Float] { codes.map { Float($0) * scale } }
}
