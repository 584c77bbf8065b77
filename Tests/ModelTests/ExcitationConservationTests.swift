import XCTest
@testable import Model

/// Each rule hands on exactly the probability it receives when every output
/// unit has an excitatory input (biases are excluded from the denominators,
/// see Sources/Model/Saliency/Excitation.swift), and drops the share of units
/// that have none.
final class ExcitationConservationTests: XCTestCase {
    private var random = ExcitationTestRandom(seed: 11)

    /// A normalised random top-down signal (N).
    private func signal(_ n: Int) -> [Float] {
        let raw = (0..<n).map { _ in random.uniform(0.1, 1) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }

    private func assertConserved(_ pIn: [Float], _ pOut: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(Double(pIn.reduce(0, +)), Double(pOut.reduce(0, +)), accuracy: 1e-5, what, line: line)
        XCTAssertFalse(pIn.contains { $0 < 0 }, "\(what): probabilities are non-negative", line: line)
    }

    func testDenseConserves() throws {
        let x = random.values(20, -1, 1), w = random.values(8 * 20, -1, 1), pOut = signal(8)
        let y = matmul(w, x, m: 8, n: 1, k: 20)
        assertConserved(try Excitation.dense(pOut: pOut, input: x, weight: w, outputs: 8, inputs: 20, output: y), pOut, "dense signed")
        let xPositive = x.map(abs)
        assertConserved(try Excitation.dense(pOut: pOut, input: xPositive, weight: w, outputs: 8, inputs: 20), pOut, "dense")
    }

    func testPointwiseConservesWithSignedOutputs() throws {
        let x = random.values(5 * 12, -1, 1), w = random.values(7 * 5, -1, 1), pOut = signal(7 * 12)
        let y = matmul(w, x, m: 7, n: 12, k: 5)
        XCTAssertTrue(y.contains { $0 < 0 } && y.contains { $0 > 0 })
        let pIn = try Excitation.pointwise(pOut: pOut, input: x, weight: w, outChannels: 7, inChannels: 5, pixels: 12, output: y)
        assertConserved(pIn, pOut, "pointwise")
    }

    func testStridedConvConserves() throws {
        // Odd size, stride 2: TF-SAME pads one pixel bottom/right only.
        let shape = Excitation.ConvShape(inChannels: 3, outChannels: 4, height: 7, width: 6, kernel: 3, stride: 2)
        XCTAssertEqual([shape.outHeight, shape.outWidth, shape.padTop, shape.padLeft], [4, 3, 1, 0])
        let x = random.values(3 * 7 * 6, 0.1, 1), w = random.values(shape.weightCount, -1, 1)
        let pOut = signal(4 * 4 * 3)
        assertConserved(try Excitation.conv(pOut: pOut, input: x, weight: w, shape: shape), pOut, "conv 3×3/2")
    }

    func testDepthwiseConserves() throws {
        let shape = Excitation.ConvShape.depthwise(channels: 5, height: 6, width: 6, kernel: 5, stride: 1)
        let x = random.values(5 * 36, 0.1, 1), w = random.values(shape.weightCount, 0.1, 1)
        let pOut = signal(5 * 36)
        let pIn = try Excitation.conv(pOut: pOut, input: x, weight: w, shape: shape)
        assertConserved(pIn, pOut, "depthwise 5×5")
        // Depthwise keeps channels apart: each channel's total is its own.
        for c in 0..<5 {
            XCTAssertEqual(pIn[(c * 36)..<((c + 1) * 36)].reduce(0, +), pOut[(c * 36)..<((c + 1) * 36)].reduce(0, +),
                           accuracy: 1e-5, "channel \(c)")
        }
    }

    func testPoolingActivationAndResidualConserve() throws {
        let x = random.values(4 * 9, 0.1, 1), pOut = signal(4)
        assertConserved(try Excitation.globalAveragePool(pOut: pOut, input: x, channels: 4, pixels: 9), pOut, "pool")
        let p = signal(10), z = random.values(10, 0.1, 6)
        assertConserved(try Excitation.activation(pOut: p, preActivation: z), p, "relu6")
        let a = random.values(10, -1, 1), b = random.values(10, -1, 1)
        let split = try Excitation.residual(pOut: p, a, b)
        assertConserved(zip(split.a, split.b).map(+), p, "residual")
    }

    func testUnitsWithoutExcitatoryInputDropTheirShare() throws {
        // Unit 0 has only negative weights on positive inputs: its 0.25 is dropped.
        let w: [Float] = [-1, -2, 1, 3], x: [Float] = [1, 1]
        let pIn = try Excitation.dense(pOut: [0.25, 0.75], input: x, weight: w, outputs: 2, inputs: 2)
        XCTAssertEqual(pIn.reduce(0, +), 0.75, accuracy: 1e-6)
        XCTAssertEqual(pIn[0] / pIn[1], 1.0 / 3.0, accuracy: 1e-6)
    }

    func testShapeMismatchThrows() {
        XCTAssertThrowsError(try Excitation.dense(pOut: [1], input: [1, 2], weight: [1], outputs: 1, inputs: 2)) {
            XCTAssertEqual(($0 as? SaliencyError)?.code, .shapeMismatch)
        }
        let shape = Excitation.ConvShape(inChannels: 3, outChannels: 4, groups: 2, height: 4, width: 4, kernel: 3, stride: 1)
        XCTAssertThrowsError(try Excitation.conv(pOut: [], input: [], weight: [], shape: shape))
    }
}

/// A small seeded generator so the tests are reproducible.
struct ExcitationTestRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 11
    }
    mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * Float(next() % (1 << 24)) / Float(1 << 24)
    }
    mutating func values(_ n: Int, _ low: Float, _ high: Float) -> [Float] {
        (0..<n).map { _ in uniform(low, high) }
    }
}
