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
        var generator = SystemRandomNumberGenerator()
        var added = 0
        for start in stride(from: existing, to: count, by: 5000) {
            let records = (start..<min(count, start + 5000)).map { i -> PhotoRecord in
                var v = (0..<embedder.dimension).map { _ in Float.random(in: -1...1, using: &generator) }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                v = v.map { $0 / norm }
                return PhotoRecord(path: "\(pathPrefix)/\(i).jpg", size: 1, mtimeNanoseconds: Int64(i),
                                   modelID: embedder.modelID, vector: v)
            }
            try index.upsert(records)
            added += records.count
        }
        return added
    }
}
