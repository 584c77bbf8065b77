import ArgumentParser
import Foundation
import Index
import Model

/// `photoq-model bench reembed`: the one step of a background re-embedding
/// that searches wait for. Builds an index of synthetic photos on one model,
/// stages every photo's embedding by a second, and times the switch, against
/// the baseline of writing the same photos' new embeddings directly (what a
/// model change without a kept model costs in index writes alone).
struct BenchReembedding: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reembed",
        abstract: "Measure the switch at the end of a background re-embedding against a plain write of the same photos.")

    @Option(help: "Photos in the index.")
    var count = 10_000

    @Option(help: "Joint-space dimension.")
    var dimension = 384

    @Option(help: "Backbone feature length stored with each photo.")
    var featureDimension = 1280

    @Option(help: "Cells stored per photo for the reranker (0: none).")
    var cells = 49

    @Option(help: "Rank of each stored cell.")
    var cellRank = 256

    @Option(help: "Folder for the temporary indexes (removed afterwards).")
    var scratch = NSTemporaryDirectory()

    func validate() throws {
        guard count > 0, dimension > 0, featureDimension >= 0, cells >= 0, cellRank > 0 else {
            throw ValidationError("--count, --dimension and --cell-rank must be positive, --feature-dimension and --cells at least 0.")
        }
    }

    func run() throws {
        let root = (scratch as NSString).appendingPathComponent("photoq-bench-reembed-\(getpid())")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        print("background re-embedding switch: \(count) photos, D = \(dimension), features \(featureDimension), \(cells) cells × \(cellRank)")

        // Baseline: the new model's records written straight into an index.
        let direct = try PhotoIndex(stateDirectory: root + "/direct", modelID: "bench-v2", dimension: dimension,
                                    featureDimension: featureDimension)
        let directSeconds = try timed { try writeInBatches(direct, model: "bench-v2", seed: 2) }
        direct.close()

        let oldModel = try PhotoIndex(stateDirectory: root + "/staged", modelID: "bench-v1", dimension: dimension,
                                      featureDimension: featureDimension)
        try writeInBatches(oldModel, model: "bench-v1", seed: 1)
        oldModel.close()
        let index = try PhotoIndex(stateDirectory: root + "/staged", modelID: "bench-v2", dimension: dimension,
                                   featureDimension: featureDimension)
        defer { index.close() }
        try index.beginReembedding()
        let stagingSeconds = try timed { try writeInBatches(index, model: "bench-v2", seed: 2) }
        guard index.reembeddingProgress?.staged == count else {
            throw ValidationError("only \(index.reembeddingProgress?.staged ?? 0) of \(count) photos were staged")
        }
        var heldSeconds = 0.0
        let switchSeconds = try timed {
            _ = try index.completeReembedding { commitAndSwitch in
                heldSeconds = try timed { try commitAndSwitch() }
            }
        }
        guard index.search.count == count, index.compatibility == .compatible else {
            throw ValidationError("after the switch \(index.search.count) of \(count) photos are searchable")
        }
        print(String(format: "  direct write of every new embedding (baseline): %.2f s", directSeconds))
        print(String(format: "  staging the same embeddings: %.2f s (%.2f× the baseline)", stagingSeconds, stagingSeconds / directSeconds))
        print(String(format: "  the switch, one transaction: %.2f s (%.2f× the baseline, %.1f µs a photo)",
                      switchSeconds, switchSeconds / directSeconds, switchSeconds / Double(count) * 1e6))
        print(String(format: "  of which searches wait (commit and swap): %.3f s", heldSeconds))
    }

    private func writeInBatches(_ index: PhotoIndex, model: String, seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var batch: [PhotoRecord] = []
        for i in 0..<count {
            batch.append(record(i, model: model, &random))
            if batch.count == 256 || i == count - 1 {
                try index.upsert(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
    }

    /// The same file (path, identity, hash) whichever the model; only the embedding differs.
    private func record(_ i: Int, model: String, _ random: inout SplitMix64) -> PhotoRecord {
        let vector = normalised((0..<dimension).map { _ in random.uniform() })
        let feature = (0..<featureDimension).map { _ in abs(random.uniform()) }
        let stored = cells == 0 ? nil : PhotoCells(rows: cells, rank: cellRank, scales: [Float](repeating: 0.01, count: cells),
                                                   coordinates: (0..<(cells * cellRank)).map { _ in Int8(truncatingIfNeeded: random.next()) })
        return PhotoRecord(path: "/photos/\(i / 1000)/IMG_\(i).jpg", device: 1, inode: UInt64(i + 1), size: 2_000_000,
                           mtimeNanoseconds: 1_700_000_000_000_000_000 + Int64(i), contentHash: UInt64(i) &* 0x9E37_79B9_7F4A_7C15 | 1,
                           modelID: model, vector: vector, feature: feature, format: "jpeg", cells: stored)
    }

    private func timed(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
}
