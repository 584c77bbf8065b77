import ModelFormat

// A compact form of per-cell joint embeddings for the index: each cell is
// kept as its coordinates in the top-r principal subspace of cells seen in
// training, rounded to int8 with one scale per cell. The alignment S uses
// raw dot products, so the subspace is that of the second-moment matrix XᵀX
// (not centred). r = 128 keeps a photo's 49 cells in 49 × (128 + 4) bytes.
// M = rows, D = dimension, r = rank.

/// An orthonormal basis U (r, D) of the dominant subspace of a set of rows.
public struct CellBasis: Sendable {
    /// U (r, D), orthonormal rows.
    public let basis: [Float]
    public let rank: Int
    public let dimension: Int

    /// The top-`rank` subspace of rows x (M, D) by subspace iteration on
    /// C = xᵀx: Q ← orthonormalise(Q C), `iterations` times from a seeded start.
    public static func fit(rows x: [Float], dimension d: Int, rank r: Int, iterations: Int = 10,
                           seed: UInt64 = 1) -> CellBasis {
        precondition(r >= 1 && r <= d && x.count % d == 0, "CellBasis.fit: rank \(r) of \(d)-d rows")
        let m = x.count / d
        let c = matmul(x, x, m: d, n: d, k: m, transposeA: true)   // C (D,D)
        var random = SplitMix64(seed: seed)
        var q = (0..<(r * d)).map { _ in random.uniform(-1, 1) }
        orthonormalizeRows(&q, rows: r, dimension: d)
        for _ in 0..<iterations {
            q = matmul(q, c, m: r, n: d, k: d)   // (r,D)·(D,D), C symmetric
            orthonormalizeRows(&q, rows: r, dimension: d)
        }
        return CellBasis(basis: q, rank: r, dimension: d)
    }

    public init(basis: [Float], rank: Int, dimension: Int) {
        precondition(basis.count == rank * dimension, "CellBasis: shapes")
        self.basis = basis
        self.rank = rank
        self.dimension = dimension
    }

    /// Bytes one row takes stored: r int8 coordinates and a Float scale.
    public var bytesPerRow: Int { rank + 4 }

    /// Rows x (M, D) → their stored form: coordinates U x rounded to int8
    /// (M, r) and one step per row (M), the row's largest |coordinate| / 127,
    /// so value ≈ step × coordinate. A zero row gets step 0.
    public func quantize(_ x: [Float]) -> (scales: [Float], coordinates: [Int8]) {
        precondition(x.count % dimension == 0, "CellBasis.quantize: rows of \(dimension) values")
        let m = x.count / dimension
        let c = matmul(x, basis, m: m, n: rank, k: dimension, transposeB: true)   // (M, r)
        var scales = [Float](repeating: 0, count: m)
        var coordinates = [Int8](repeating: 0, count: m * rank)
        for row in 0..<m {
            let slice = (row * rank)..<((row + 1) * rank)
            let largest = c[slice].reduce(0) { max($0, abs($1)) }
            guard largest > 0, largest.isFinite else { continue }
            let step = largest / 127
            scales[row] = step
            for i in slice { coordinates[i] = Int8(max(-127, min(127, (c[i] / step).rounded()))) }
        }
        return (scales, coordinates)
    }

    /// Vectors t (P, D) in the basis, U t (P, r): a stored cell's dot
    /// product with t is then step × Σ coordinates · (U t), without
    /// rebuilding the cell in D dimensions.
    public func project(_ t: [Float]) -> [Float] {
        precondition(t.count % dimension == 0, "CellBasis.project: rows of \(dimension) values")
        guard !t.isEmpty else { return [] }
        return matmul(t, basis, m: t.count / dimension, n: rank, k: dimension, transposeB: true)
    }

    /// Rows x (M, D) as the index would give them back: coordinates U x
    /// (r), with `int8` rounded to 127 levels of each row's largest, then Uᵀ.
    public func roundTrip(_ x: [Float], int8: Bool) -> [Float] {
        let m = x.count / dimension
        var coordinates = matmul(x, basis, m: m, n: rank, k: dimension, transposeB: true)   // (M, r)
        if int8 {
            for row in 0..<m {
                let slice = (row * rank)..<((row + 1) * rank)
                let largest = coordinates[slice].reduce(0) { max($0, abs($1)) }
                guard largest > 0 else { continue }
                let step = largest / 127
                for i in slice { coordinates[i] = (coordinates[i] / step).rounded() * step }
            }
        }
        return matmul(coordinates, basis, m: m, n: dimension, k: rank)   // (M, D)
    }
}

extension CellBasis {
    /// The tensor a scorer file keeps its basis in.
    public static let tensorName = "cells.basis"

    /// The metadata that gives the stored basis's shape.
    public var metadata: [String: String] { ["cell_basis_rank": String(rank), "cell_basis_dimension": String(dimension)] }

    /// The basis stored with a reranking scorer, nil when the file has none.
    public init?(weights: WeightFile) throws {
        guard let rank = weights.metadata["cell_basis_rank"].flatMap(Int.init) else { return nil }
        guard rank > 0, let dimension = weights.metadata["cell_basis_dimension"].flatMap(Int.init), dimension >= rank else {
            throw WeightFileError.malformed(path: weights.path, reason: "cell_basis_rank/cell_basis_dimension are invalid")
        }
        self.init(basis: try weights.floatArray(Self.tensorName, shape: [rank, dimension]), rank: rank, dimension: dimension)
    }
}

/// Modified Gram–Schmidt over the rows of q (rows, D); a row that falls into
/// the span of the earlier ones is replaced by zeros (never for a random start).
func orthonormalizeRows(_ q: inout [Float], rows: Int, dimension d: Int) {
    for i in 0..<rows {
        for j in 0..<i {
            var projection: Float = 0
            for k in 0..<d { projection += q[i * d + k] * q[j * d + k] }
            for k in 0..<d { q[i * d + k] -= projection * q[j * d + k] }
        }
        var norm: Float = 0
        for k in 0..<d { norm += q[i * d + k] * q[i * d + k] }
        let scale = norm > 1e-20 ? 1 / norm.squareRoot() : 0
        for k in 0..<d { q[i * d + k] *= scale }
    }
}
