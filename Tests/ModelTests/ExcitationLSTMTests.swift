import XCTest
@testable import Model

final class ExcitationLSTMTests: XCTestCase {
    /// A ReLU-LSTM forward written out here (gate order i, f, g, o), so the
    /// trace does not depend on the scorer's kernels.
    /// xs (T,E), w (4H,E), u (4H,H), b (4H) → trace.
    private func forward(_ xs: [[Float]], w: [Float], u: [Float], b: [Float], e: Int, h: Int) -> Excitation.LSTMTrace {
        var trace = Excitation.LSTMTrace(inputs: xs, inputGates: [], forgetGates: [], outputGates: [],
                                         cellInputs: [], cells: [], hidden: [])
        var hPrev = [Float](repeating: 0, count: h), cPrev = hPrev
        let sigmoid = { (v: Float) in 1 / (1 + exp(-v)) }
        for x in xs {
            var pre = b
            for r in 0..<(4 * h) {
                for k in 0..<e { pre[r] += w[r * e + k] * x[k] }
                for k in 0..<h { pre[r] += u[r * h + k] * hPrev[k] }
            }
            let i = pre[0..<h].map(sigmoid), f = pre[h..<(2 * h)].map(sigmoid)
            let g = pre[(2 * h)..<(3 * h)].map { max($0, 0) }, o = pre[(3 * h)...].map(sigmoid)
            let c = (0..<h).map { f[$0] * cPrev[$0] + i[$0] * g[$0] }
            let hidden = (0..<h).map { o[$0] * max(c[$0], 0) }
            trace.inputGates.append(i); trace.forgetGates.append(f); trace.outputGates.append(o)
            trace.cellInputs.append(g); trace.cells.append(c); trace.hidden.append(hidden)
            (hPrev, cPrev) = (hidden, c)
        }
        return trace
    }

    private func cellInputRows(_ m: [Float], h: Int, width: Int) -> [Float] {
        Array(m[(2 * h * width)..<(3 * h * width)])
    }

    /// Word scores sum to 1: with no cell-input bias every active unit has an
    /// excitatory input, so nothing is dropped between the score and the inputs.
    func testStepScoresSumToOne() throws {
        var random = ExcitationTestRandom(seed: 5)
        let (e, h, steps) = (6, 8, 5)
        let xs = (0..<steps).map { _ in random.values(e, -1, 1) }
        let w = random.values(4 * h * e, -1, 1), u = random.values(4 * h * h, -1, 1)
        var b = random.values(4 * h, -0.5, 0.5)
        for j in (2 * h)..<(3 * h) { b[j] = 0 }
        let trace = forward(xs, w: w, u: u, b: b, e: e, h: h)
        var v = random.values(h, -1, 1)
        if !zip(v, trace.hidden[steps - 1]).contains(where: { $0 * $1 > 0 }) { v = v.map { -$0 } }
        let weights = Excitation.LSTMWeights(cellInput: cellInputRows(w, h: h, width: e),
                                             cellRecurrent: cellInputRows(u, h: h, width: h),
                                             output: v, inputSize: e, hiddenSize: h)
        for negated in [false, true] {
            let relevance = try Excitation.lstm(trace: trace, weights: weights, negatedTop: negated)
            XCTAssertEqual(relevance.stepScores.count, steps)
            XCTAssertEqual(relevance.stepScores.reduce(0, +), 1, accuracy: 1e-5, "negated \(negated)")
            XCTAssertFalse(relevance.stepScores.contains { $0 < 0 })
            for t in 0..<steps {
                XCTAssertEqual(relevance.inputs[t].reduce(0, +), relevance.stepScores[t], accuracy: 1e-6)
            }
        }
    }

    /// With the forget gate shut and no recurrent cell input, the score can
    /// only come from the last word; a zero word vector receives nothing.
    func testKnownAnswers() throws {
        let (e, h) = (3, 2)
        let xs: [[Float]] = [[1, 0.5, 0.2], [0.3, 1, 0.1], [0.5, 0.5, 0.5]]
        let w: [Float] = [1, 0.5, -0.2, 0.3, 1, 0.4]
        let g = xs.map { x in (0..<h).map { j in max((0..<e).reduce(Float(0)) { $0 + w[j * e + $1] * x[$1] }, 0) } }
        let ones = [Float](repeating: 1, count: h), zeros = [Float](repeating: 0, count: h)
        let trace = Excitation.LSTMTrace(
            inputs: xs, inputGates: [ones, ones, ones], forgetGates: [zeros, zeros, zeros],
            outputGates: [ones, ones, ones], cellInputs: g, cells: g, hidden: g)
        let weights = Excitation.LSTMWeights(cellInput: w, cellRecurrent: [Float](repeating: 0, count: h * h),
                                             output: [1, 1], inputSize: e, hiddenSize: h)
        let scores = try Excitation.lstm(trace: trace, weights: weights).stepScores
        XCTAssertEqual(scores[0], 0, accuracy: 1e-7)
        XCTAssertEqual(scores[1], 0, accuracy: 1e-7)
        XCTAssertEqual(scores[2], 1, accuracy: 1e-6)

        // Forget gate open, nothing new written at the last step: the signal
        // is carried back through the cell to the first word.
        let carried = Excitation.LSTMTrace(
            inputs: [xs[0], [0, 0, 0]], inputGates: [ones, zeros], forgetGates: [zeros, ones],
            outputGates: [ones, ones], cellInputs: [g[0], zeros], cells: [g[0], g[0]], hidden: [g[0], g[0]])
        let back = try Excitation.lstm(trace: carried, weights: weights).stepScores
        XCTAssertEqual(back[0], 1, accuracy: 1e-6)
        XCTAssertEqual(back[1], 0, accuracy: 1e-7)
    }

    func testEmptyTraceThrows() {
        let trace = Excitation.LSTMTrace(inputs: [], inputGates: [], forgetGates: [], outputGates: [],
                                         cellInputs: [], cells: [], hidden: [])
        let weights = Excitation.LSTMWeights(cellInput: [], cellRecurrent: [], output: [], inputSize: 0, hiddenSize: 0)
        XCTAssertThrowsError(try Excitation.lstm(trace: trace, weights: weights)) {
            XCTAssertEqual(($0 as? SaliencyError)?.code, .emptyInput)
        }
    }
}
