@testable import Model
import XCTest

/// The compact cell form: a basis fitted by subspace iteration spans the
/// rows' subspace, keeps rows in it and drops what lies outside it, and the
/// int8 coordinates are within half a step of the exact ones.
final class CellBasisTests: XCTestCase {
    /// m rows of dimension d, each a random mix of `directions` fixed random directions.
    private func rows(_ m: Int, _ d: Int, directions: Int, seed: UInt64) -> (rows: [Float], directions: [Float]) {
        var random = SplitMix64(seed: seed)
        let basis = (0..<(directions * d)).map { _ in random.uniform(-1, 1) }
        var out = [Float](repeating: 0, count: m * d)
        for row in 0..<m {
            for k in 0..<directions {
                let weight = random.uniform(-1, 1) * Float(directions - k)
                for j in 0..<d { out[row * d + j] += weight * basis[k * d + j] }
            }
        }
        return (out, basis)
    }

    func testBasisIsOrthonormalAndKeepsRowsOfItsSubspace() {
        let (d, r) = (8, 3)
        let (x, _) = rows(200, d, directions: r, seed: 1)
        let basis = CellBasis.fit(rows: x, dimension: d, rank: r)
        for i in 0..<r {
            for j in 0..<r {
                let dot = (0..<d).reduce(Float(0)) { $0 + basis.basis[i * d + $1] * basis.basis[j * d + $1] }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-4)
            }
        }
        let back = basis.roundTrip(x, int8: false)
        XCTAssertLessThan(zip(back, x).map { abs($0 - $1) }.max()!, 1e-3)
        XCTAssertEqual(basis.bytesPerRow, r + 4)
    }

    func testWhatLiesOutsideTheSubspaceIsDropped() {
        let d = 6
        // Rows along e₀ and e₁ only; the basis of rank 2 is their plane.
        var x = [Float]()
        var random = SplitMix64(seed: 2)
        for _ in 0..<50 { x += [random.uniform(-1, 1), random.uniform(-1, 1), 0, 0, 0, 0] }
        let basis = CellBasis.fit(rows: x, dimension: d, rank: 2)
        let back = basis.roundTrip([0.5, -0.25, 0.75, 0, 0, 0], int8: false)
        for (value, expected) in zip(back, [Float(0.5), -0.25, 0, 0, 0, 0]) { XCTAssertEqual(value, expected, accuracy: 1e-4) }
    }

    func testInt8CoordinatesAreWithinHalfAStep() {
        let (d, r) = (16, 16)
        let (x, _) = rows(40, d, directions: 4, seed: 3)
        let basis = CellBasis.fit(rows: x, dimension: d, rank: r)
        let exact = basis.roundTrip(x, int8: false), rounded = basis.roundTrip(x, int8: true)
        for row in 0..<40 {
            let slice = (row * d)..<((row + 1) * d)
            // Coordinates in a full orthonormal basis are a rotation: the row's largest coordinate bounds the step.
            let coordinates = matmul(Array(x[slice]), basis.basis, m: 1, n: r, k: d, transposeB: true)
            let step = coordinates.map(abs).max()! / 127
            let error = zip(exact[slice], rounded[slice]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            XCTAssertLessThanOrEqual(error, step / 2 * Float(r).squareRoot() + 1e-5)
            XCTAssertGreaterThan(error, 0, "int8 rounds")
        }
    }
}
