import ArgumentParser
import CBLAS
import Foundation
import Index

/// `photoq-model bench index`: the vector search alone at library sizes no
/// real library here reaches: query latency of the 4-bit/int8 scan with
/// exact rescoring, and its recall@k against an exact Float32 scan
/// (`cblas_sgemv` over every vector, the search photoq had before).
struct BenchIndex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Measure the vector search: ms per query and recall@k against exact Float32 search.")

    @Option(help: "Vectors in the index.")
    var count = 1_000_000

    @Option(help: "Vector dimension (the joint space's is 384).")
    var dimension = 384

    @Option(help: "Queries to time (each also searched exactly for recall).")
    var queries = 50

    @Option(help: "Results per query.")
    var k = 10

    @Option(help: "Vectors drawn around this many centres (0: uniform on the sphere), as photos of the same scenes cluster.")
    var clusters = 0

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        guard count > 0, dimension > 0, queries > 0, k > 0, clusters >= 0 else {
            throw ValidationError("--count, --dimension, --queries and --k must be positive, --clusters at least 0.")
        }
    }

    func run() throws {
        var random = Xorshift(seed: 7)
        let centres = (0..<clusters).map { _ in random.unitVector(dimension) }
        var matrix = [Float](repeating: 0, count: count * dimension)
        let search = VectorSearch(dimension: dimension, reservingCapacity: count)
        var batch: [(id: UInt64, vector: [Float], mtimeNanoseconds: Int64)] = []
        let buildStart = Date()
        for i in 0..<count {
            var v = random.unitVector(dimension)
            if !centres.isEmpty {
                let centre = centres[i % centres.count]
                v = normalised(zip(centre, v).map { $0 + 0.35 * $1 })
            }
            matrix.replaceSubrange(i * dimension..<(i + 1) * dimension, with: v)
            batch.append((UInt64(i + 1), v, Int64(i)))
            if batch.count == 4096 || i == count - 1 {
                try search.upsert(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        let buildSeconds = Date().timeIntervalSince(buildStart)
        // Queries near stored vectors (as a text lands near its photos), or
        // anywhere for uniform vectors.
        let queryVectors = (0..<queries).map { _ -> [Float] in
            let q = random.unitVector(dimension)
            guard !centres.isEmpty else { return q }
            let near = Int(random.next() % UInt64(count))
            return normalised((0..<dimension).map { matrix[near * dimension + $0] + 0.5 * q[$0] })
        }
        _ = try search.search(queryVectors[0], k: k) // warm up
        var fast: [Double] = []
        var exact: [Double] = []
        var found = 0
        var scores = [Float](repeating: 0, count: count)
        for query in queryVectors {
            var t = Date()
            let hits = try search.search(query, k: k)
            fast.append(Date().timeIntervalSince(t) * 1000)
            t = Date()
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(dimension), 1, matrix, Int32(dimension),
                        query, 1, 0, &scores, 1)
            let truth = topK(scores, k)
            exact.append(Date().timeIntervalSince(t) * 1000)
            found += Set(hits.map(\.id)).intersection(truth).count
        }
        let recall = Double(found) / Double(queries * min(k, count))
        let fastMedian = median(fast), exactMedian = median(exact)
        if json {
            let doc: [String: Any] = [
                "version": 1, "count": count, "dimension": dimension, "k": k, "clusters": clusters,
                "kernel": VectorSearch.kernelName, "shortlist": VectorSearch.shortlistSize(k: k),
                "coarse_shortlist": VectorSearch.coarseShortlistSize(k: k),
                "query_ms_median": fastMedian, "exact_float32_ms_median": exactMedian,
                "recall_at_k": recall, "search_memory_mib": search.memoryBytes >> 20, "build_s": buildSeconds,
            ]
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("vector search: \(count) × \(dimension) vectors\(clusters > 0 ? " in \(clusters) clusters" : ""), k = \(k), \(queries) queries, kernel \(VectorSearch.kernelName)")
            print(String(format: "  4-bit pass, int8 scores for %d, Float32 rescoring of %d: median %.2f ms/query",
                         VectorSearch.coarseShortlistSize(k: k), VectorSearch.shortlistSize(k: k), fastMedian))
            print(String(format: "  exact Float32 scan (sgemv): median %.2f ms/query", exactMedian))
            print(String(format: "  recall@%d against exact Float32: %.4f", k, recall))
            print("  search memory (int8 rows and the Float32 copies this benchmark keeps): \(search.memoryBytes >> 20) MiB")
        }
    }

    private func topK(_ scores: [Float], _ k: Int) -> Set<UInt64> {
        var best: [(Float, Int)] = []
        for (i, s) in scores.enumerated() where best.count < k || s > best[best.count - 1].0 {
            best.append((s, i))
            best.sort { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            if best.count > k { best.removeLast() }
        }
        return Set(best.map { UInt64($0.1 + 1) })
    }

    private func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    private func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}

/// xorshift64*: fast and reproducible.
private struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }
    mutating func unitVector(_ d: Int) -> [Float] {
        let v = (0..<d).map { _ in uniform() }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
}
