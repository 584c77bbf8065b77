import ModelFormat
import TestSupport
import XCTest
@testable import Model

/// Compares every layer's marginal winning probabilities with the NumPy
/// reference (Tests/Reference/eb_ref.py), which writes each layer as an
/// explicit dense matrix and shares no code with the Swift rules.
final class ExcitationReferenceTests: XCTestCase {
    func testSmallStackMatchesReference() throws {
        let dir = try TestEnvironment.temporaryDirectory(self)
        let path = dir + "/eb.pq"
        _ = try TestEnvironment.runReference("eb_ref.py", [path])
        let file = try WeightFile(path: path)
        func t(_ name: String) throws -> [Float] { try file.floats(name).toArray() }
        let target = Int(file.metadata["target"] ?? "") ?? -1
        XCTAssertTrue((0..<3).contains(target))

        let conv1 = Excitation.ConvShape(inChannels: 3, outChannels: 4, height: 9, width: 9, kernel: 3, stride: 2)
        let depth2 = Excitation.ConvShape.depthwise(channels: 4, height: 5, width: 5, kernel: 3, stride: 1)
        let depth5 = Excitation.ConvShape.depthwise(channels: 6, height: 5, width: 5, kernel: 5, stride: 2)
        let top = try Array(t("w7")[(target * 6)..<(target * 6 + 6)])

        for (prefix, sign) in [("P_", Float(1)), ("Pdual_", Float(-1))] {
            // dense 6→3, one target unit: the signal starts there with P = 1.
            let pG = try Excitation.dense(pOut: [1], input: t("g"), weight: top.map { $0 * sign }, outputs: 1, inputs: 6)
            try assertClose(pG, t(prefix + "g"), "\(prefix)g")
            let pA5 = try Excitation.globalAveragePool(pOut: pG, input: t("a5"), channels: 6, pixels: 9)
            try assertClose(pA5, t(prefix + "a5"), "\(prefix)a5")
            // ReLU6 is a pass-through; a5 ≥ 0 so no output signs are needed.
            let pA4 = try Excitation.conv(pOut: pA5, input: t("a4"), weight: t("w5"), shape: depth5)
            try assertClose(pA4, t(prefix + "a4"), "\(prefix)a4")
            let pY3 = try Excitation.pointwise(pOut: pA4, input: t("y3"), weight: t("w4"),
                                               outChannels: 6, inChannels: 4, pixels: 25)
            try assertClose(pY3, t(prefix + "y3"), "\(prefix)y3")
            let split = try Excitation.residual(pOut: pY3, t("a1"), t("p3"))
            try assertClose(split.a, t(prefix + "a1_skip"), "\(prefix)a1_skip")
            try assertClose(split.b, t(prefix + "p3"), "\(prefix)p3")
            // p3 is signed: its sign decides which contributions won.
            let pA2 = try Excitation.pointwise(pOut: split.b, input: t("a2"), weight: t("w3"),
                                               outChannels: 4, inChannels: 4, pixels: 25, output: t("p3"))
            try assertClose(pA2, t(prefix + "a2"), "\(prefix)a2")
            let pA1Branch = try Excitation.conv(pOut: pA2, input: t("a1"), weight: t("w2"), shape: depth2)
            try assertClose(pA1Branch, t(prefix + "a1_branch"), "\(prefix)a1_branch")
            let pA1 = zip(split.a, pA1Branch).map(+)
            let pX0 = try Excitation.conv(pOut: pA1, input: t("x0"), weight: t("w1"), shape: conv1)
            try assertClose(pX0, t(prefix + "x0"), "\(prefix)x0")
        }
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        var maxDiff: Float = 0
        for (a, e) in zip(actual, expected) { maxDiff = max(maxDiff, abs(a - e)) }
        XCTAssertLessThan(maxDiff, 1e-5, "\(what): max |Δ| \(maxDiff)", file: file, line: line)
        XCTAssertGreaterThan(expected.reduce(0, +), 0.1, "\(what): the reference carries signal", file: file, line: line)
    }
}
