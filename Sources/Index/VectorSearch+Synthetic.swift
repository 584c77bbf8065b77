extension VectorSearch {
    /// A search filled with `count` random unit vectors (ids 1...count), for
    /// benchmarks such as `photoq-model bench index` (no LMDB involved).
    public static func synthetic(count: Int, dimension: Int, seed: UInt64 = 1) -> VectorSearch {
        let search = VectorSearch(dimension: dimension, reservingCapacity: count)
        var state = seed
        // xorshift64*: fast, and good enough to spread vectors over the sphere.
        func next() -> Float {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            let bits = (state &* 0x2545_F491_4F6C_DD1D) >> 40
            return Float(bits) / Float(1 << 24) * 2 - 1
        }
        var batch: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)] = []
        batch.reserveCapacity(4096)
        for i in 0..<count {
            var vector = (0..<dimension).map { _ in next() }
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { vector = vector.map { $0 / norm } }
            batch.append((UInt64(i + 1), vector, 0))
            if batch.count == 4096 || i == count - 1 {
                try? search.upsert(batch) // finite, right-sized vectors: cannot fail
                batch.removeAll(keepingCapacity: true)
            }
        }
        return search
    }
}
