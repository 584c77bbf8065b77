import Model

/// Seeded values for the scorer tests, so failures reproduce.
typealias ScorerTestRandom = SplitMix64

extension SplitMix64 {
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
