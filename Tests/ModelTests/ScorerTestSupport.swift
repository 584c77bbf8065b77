import Model

/// Seeded values for the scorer tests (SplitMix64), so failures reproduce.
struct ScorerTestRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func values(_ count: Int, scale: Float = 1) -> [Float] {
        (0..<count).map { _ in uniform(-scale, scale) }
    }

    /// A query of `length` random word vectors; positions in `oov` are unknown words.
    mutating func query(length: Int, dimension: Int, oov: Set<Int> = []) -> EncodedQuery {
        var vectors = values(length * dimension)
        for t in oov { for d in 0..<dimension { vectors[t * dimension + d] = 0 } }
        return EncodedQuery(tokens: (0..<length).map { "w\($0)" }, vectors: vectors,
                            isOOV: (0..<length).map { oov.contains($0) }, dimension: dimension)
    }

    /// Parameters with every tensor random (biases included) so all paths are exercised.
    mutating func parameters(_ shape: ScorerShape, scale: Float = 0.5) -> ScorerParameters {
        var p = ScorerParameters(zerosLike: shape)
        p.tensors = p.tensors.map { values($0.count, scale: scale) }
        return p
    }
}
