import Index

/// Benchmark aid: fills an index with random unit vectors under paths that
/// lie outside every root (`/synthetic/…`), so scans never touch them, to
/// measure search latency at sizes no real library on this machine reaches.
public enum SyntheticVectors {
    public static let pathPrefix = "/synthetic"

    /// Adds records until `count` synthetic ones exist; returns how many were added.
    @discardableResult
    public static func fill(stateDirectory: String, embedder: any PhotoEmbedder, count: Int) throws -> Int {
        let index = try PhotoIndex(stateDirectory: stateDirectory, modelID: embedder.modelID,
                                   dimension: embedder.dimension, featureDimension: embedder.featureDimension)
        defer { index.close() }
        let existing = try index.ids(inFolder: pathPrefix).count
        var random = UInt64(existing) &* 0x9E37_79B9_7F4A_7C15 | 1
        // xorshift64*: fast enough for a million vectors and features.
        func next() -> Float {
            random ^= random >> 12
            random ^= random << 25
            random ^= random >> 27
            return Float((random &* 0x2545_F491_4F6C_DD1D) >> 40) / Float(1 << 24) * 2 - 1
        }
        var added = 0
        for start in stride(from: existing, to: count, by: 5000) {
            let records = (start..<min(count, start + 5000)).map { i -> PhotoRecord in
                var v = (0..<embedder.dimension).map { _ in next() }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                v = v.map { $0 / norm }
                // A feature as real photos have (post-ReLU6 averages), so the
                // index's size on disk and its scans are those of a real library.
                let feature = (0..<embedder.featureDimension).map { _ in 3 + 3 * next() }
                return PhotoRecord(path: "\(pathPrefix)/\(i).jpg", size: 1, mtimeNanoseconds: Int64(i),
                                   modelID: embedder.modelID, vector: v, feature: feature)
            }
            try index.upsert(records)
            added += records.count
        }
        return added
    }
}
