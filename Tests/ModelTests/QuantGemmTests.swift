import CQuantGemm
import Foundation
import TestSupport
import XCTest
@testable import Model

/// The integer dense-layer kernels: the AVX-512 VNNI, AVX2 and portable kernels against
/// each other bit for bit, against the float product they approximate, and
/// against the independent NumPy reference (Tests/Reference/quant_ref.py).
final class QuantGemmTests: XCTestCase {
    private struct Case {
        let tokens, inputs, outputs: Int
        var x, w, bias: [Float]
        var residual: [Float]?
    }

    private func randomCase(_ tokens: Int, _ inputs: Int, _ outputs: Int, residual: Bool,
                            _ generator: inout SplitMix64) -> Case {
        Case(tokens: tokens, inputs: inputs, outputs: outputs,
             x: (0..<tokens * inputs).map { _ in generator.uniform(-3, 3) },
             w: (0..<outputs * inputs).map { _ in generator.uniform(-0.2, 0.2) },
             bias: (0..<outputs).map { _ in generator.uniform(-1, 1) },
             residual: residual ? (0..<tokens * outputs).map { _ in generator.uniform(-2, 2) } : nil)
    }

    /// Quantises and multiplies with `kernel`, as QuantizedLinear does.
    private func run(_ c: Case, _ kernel: pq_kernel) -> [Float] {
        let (n, k, m) = (Int32(c.tokens), Int32(c.inputs), Int32(c.outputs))
        var packed = [Int16](repeating: 7, count: Int(pq_packed_weight_count(m, k)))
        var weightScales = [Float](repeating: 0, count: c.outputs)
        var scratch = [Int16](repeating: 0, count: c.inputs)
        pq_pack_weights(c.w, m, k, QuantizedLinear.weightLimit, &packed, &weightScales, &scratch)
        let limit = pq_activation_limit(k, QuantizedLinear.weightLimit)
        // Filled with junk first: quantisation must write every element, the pad column too.
        var q = [Int16](repeating: -5, count: c.tokens * Int(pq_padded_inputs(k)))
        var rowScales = [Float](repeating: 0, count: c.tokens)
        pq_quantize_rows(c.x, n, k, limit, &q, &rowScales)
        var out = c.residual ?? [Float](repeating: .nan, count: c.tokens * c.outputs)
        pq_linear(&out, q, rowScales, packed, weightScales, c.bias, n, m, k, c.residual == nil ? 0 : 1, kernel)
        return out
    }

    /// Shapes around the tile sizes (3–4 tokens, 8/24/48 rows, odd and even
    /// column pairs) and the encoder's own.
    private let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 2, 8), (2, 3, 5), (3, 7, 9), (4, 16, 24), (5, 33, 25), (7, 31, 47), (9, 65, 17),
        (13, 384, 384), (11, 384, 1536), (6, 1536, 384), (17, 129, 100), (4, 1537, 23), (8, 6, 48),
        (9, 5, 49), (5, 2, 56), (4, 385, 41),
    ]

    /// The vector kernels this CPU runs; the others are skipped with a message.
    private var vectorKernels: [(String, pq_kernel)] {
        [("AVX2", PQ_KERNEL_AVX2), ("AVX-512 VNNI", PQ_KERNEL_AVX512_VNNI)].filter { name, kernel in
            if pq_kernel_supported(kernel) == 0 { print("this CPU has no \(name): its kernel is not compared") }
            return pq_kernel_supported(kernel) != 0
        }
    }

    func testVectorKernelsMatchPortableBitForBit() {
        var generator = SplitMix64(seed: 11)
        let kernels = vectorKernels + [("automatic", PQ_KERNEL_AUTO)]
        for (n, k, m) in shapes {
            for residual in [false, true] {
                let c = randomCase(n, k, m, residual: residual, &generator)
                let portable = run(c, PQ_KERNEL_PORTABLE)
                for (name, kernel) in kernels {
                    XCTAssertEqual(run(c, kernel).map(\.bitPattern), portable.map(\.bitPattern),
                                   "\(name) N=\(n) K=\(k) M=\(m) residual \(residual)")
                }
            }
        }
    }

    /// The automatic choice is the widest kernel the CPU has.
    /// PHOTOQ_INT8_KERNEL lowers the choice and never raises it.
    func testKernelCapFromTheEnvironmentOnlyLowersTheChoice() {
        let all = [PQ_KERNEL_PORTABLE, PQ_KERNEL_AVX2, PQ_KERNEL_AVX512_VNNI]
        for widest in all {
            XCTAssertEqual(pq_capped_kernel(widest, nil), widest, "unset")
            XCTAssertEqual(pq_capped_kernel(widest, "portable"), PQ_KERNEL_PORTABLE)
            XCTAssertEqual(pq_capped_kernel(widest, "avx2"), widest == PQ_KERNEL_PORTABLE ? PQ_KERNEL_PORTABLE : PQ_KERNEL_AVX2)
            for other in ["", "AVX2", "avx512", "fast"] {
                XCTAssertEqual(pq_capped_kernel(widest, other), widest, "an unknown value \"\(other)\" is ignored")
            }
        }
    }

    func testAutomaticChoiceIsTheWidestSupportedKernel() throws {
        try XCTSkipIf(ProcessInfo.processInfo.environment["PHOTOQ_INT8_KERNEL"] != nil, "PHOTOQ_INT8_KERNEL caps the choice")
        let widest = [PQ_KERNEL_AVX512_VNNI, PQ_KERNEL_AVX2].first { pq_kernel_supported($0) != 0 } ?? PQ_KERNEL_PORTABLE
        XCTAssertEqual(pq_automatic_kernel(), widest)
        // /proc reports size 0, so it is read to the end rather than by its size.
        let data = FileHandle(forReadingAtPath: "/proc/cpuinfo")?.readDataToEndOfFile() ?? Data()
        let flags = String(decoding: data, as: UTF8.self)
        if flags.contains(" avx512_vnni") && flags.contains(" avx512bw") && flags.contains(" avx512vl") {
            XCTAssertEqual(pq_automatic_kernel(), PQ_KERNEL_AVX512_VNNI, "/proc/cpuinfo lists AVX-512 VNNI")
        }
    }

    func testCloseToFloatProduct() {
        var generator = SplitMix64(seed: 12)
        for (n, k, m) in shapes {
            let c = randomCase(n, k, m, residual: true, &generator)
            let out = run(c, PQ_KERNEL_AUTO)
            let limit = Double(pq_activation_limit(Int32(k), QuantizedLinear.weightLimit))
            for t in 0..<n {
                let xRow = c.x[(t * k)..<((t + 1) * k)].map(Double.init)
                let xMax = xRow.map(abs).max() ?? 0
                for r in 0..<m {
                    let wRow = c.w[(r * k)..<((r + 1) * k)].map(Double.init)
                    let wMax = wRow.map(abs).max() ?? 0
                    let exact = zip(xRow, wRow).reduce(0) { $0 + $1.0 * $1.1 } + Double(c.bias[r]) + Double(c.residual![t * m + r])
                    // Each product is off by at most half a step of either factor.
                    let bound = Double(k) * (xMax * wMax / 127 / 2 + wMax * xMax / limit / 2) * 1.01 + 1e-5 * abs(exact) + 1e-6
                    XCTAssertEqual(Double(out[t * m + r]), exact, accuracy: bound, "N=\(n) K=\(k) M=\(m) at (\(t),\(r))")
                }
            }
        }
    }

    func testExtremeAndZeroRows() {
        var generator = SplitMix64(seed: 13)
        let (n, k, m) = (6, 37, 19)
        var c = randomCase(n, k, m, residual: false, &generator)
        for j in 0..<k {
            c.x[0 * k + j] = 0                                  // zero row: output is the bias
            c.x[1 * k + j] *= 1e30                              // huge
            c.x[2 * k + j] *= 1e-38                             // subnormal range
            c.x[3 * k + j] = j == 5 ? 3e4 : c.x[3 * k + j]      // one outlier
            c.x[4 * k + j] = j % 2 == 0 ? -Float.greatestFiniteMagnitude / 1e6 : 0
        }
        for j in 0..<k { c.w[2 * k + j] = 0 }                   // zero weight row
        let vector = run(c, PQ_KERNEL_AUTO), portable = run(c, PQ_KERNEL_PORTABLE)
        XCTAssertEqual(vector.map(\.bitPattern), portable.map(\.bitPattern))
        for (name, kernel) in vectorKernels {
            XCTAssertEqual(run(c, kernel).map(\.bitPattern), portable.map(\.bitPattern), name)
        }
        XCTAssertEqual(Array(vector[0..<m]), c.bias, "a zero row gives the bias")
        for t in 0..<n { XCTAssertEqual(vector[t * m + 2], c.bias[2], "a zero weight row gives its bias (token \(t))") }
        XCTAssertTrue(vector.allSatisfy(\.isFinite))
        // Row 1 is row 1 of the original case times 1e30: so is its product.
        var plain = c
        for j in 0..<k { plain.x[1 * k + j] /= 1e30 }
        let small = run(plain, PQ_KERNEL_AUTO)
        for r in 0..<m where r != 2 {
            let scaled = (Double(vector[m + r]) - Double(c.bias[r])) / 1e30
            XCTAssertEqual(scaled, Double(small[m + r]) - Double(c.bias[r]), accuracy: 1e-4 * max(1, abs(scaled)))
        }
    }

    /// Every value at the limits, K = 1537: a sum that overflowed int32 would come out negative.
    func testLargestSumsDoNotOverflow() {
        let (n, k, m) = (5, 1537, 9)
        let c = Case(tokens: n, inputs: k, outputs: m, x: [Float](repeating: 2, count: n * k),
                     w: [Float](repeating: -0.5, count: m * k), bias: [Float](repeating: 0, count: m), residual: nil)
        for kernel in [PQ_KERNEL_AUTO, PQ_KERNEL_PORTABLE] + vectorKernels.map(\.1) {
            for value in run(c, kernel) { XCTAssertEqual(Double(value), -1537, accuracy: 1537 * 1e-6) }
        }
        XCTAssertLessThanOrEqual(Int(pq_activation_limit(Int32(k), 127)) * 127 * Int(pq_padded_inputs(Int32(k))), Int(Int32.max))
    }

    private struct Reference: Decodable {
        let quantized: [Double]
        let exact: [Double]
        let activation_limit: Int
    }

    private func reference(_ c: Case) throws -> Reference {
        struct Input: Encodable {
            let tokens, inputs, outputs: Int
            let x, w, bias: [Float]
            let residual: [Float]?
        }
        let directory = try TestEnvironment.temporaryDirectory(self, prefix: "quant-ref")
        let path = directory + "/case.json"
        let input = Input(tokens: c.tokens, inputs: c.inputs, outputs: c.outputs, x: c.x, w: c.w, bias: c.bias,
                          residual: c.residual)
        try JSONEncoder().encode(input).write(to: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(Reference.self, from: TestEnvironment.runReference("quant_ref.py", [path]))
    }

    /// NumPy quantises, multiplies in int64 and rescales in float32 the same
    /// way: the outputs must agree exactly, and both sit near the float64 product.
    func testMatchesNumPyReference() throws {
        var generator = SplitMix64(seed: 14)
        for (n, k, m, residual) in [(3, 7, 9, false), (5, 384, 37, true), (4, 1536, 19, true), (2, 33, 25, false)] {
            var c = randomCase(n, k, m, residual: residual, &generator)
            for j in 0..<k { c.x[j] = 0 }
            let expected = try reference(c)
            XCTAssertEqual(expected.activation_limit, Int(pq_activation_limit(Int32(k), QuantizedLinear.weightLimit)))
            let out = run(c, PQ_KERNEL_AUTO)
            XCTAssertEqual(out, expected.quantized.map(Float.init), "N=\(n) K=\(k) M=\(m)")
            // Rounding errors of int8 weights add up like a random walk: about
            // 0.4% of the product's size here, for every K.
            var (error, size) = (0.0, 0.0)
            for t in 0..<n {
                for r in 0..<m {
                    let exact = expected.exact[t * m + r]
                    let product = exact - Double(c.bias[r]) - Double(c.residual?[t * m + r] ?? 0)
                    error += (Double(out[t * m + r]) - exact) * (Double(out[t * m + r]) - exact)
                    size += product * product
                }
            }
            XCTAssertLessThan((error / size).squareRoot(), 0.01, "RMS error relative to the float64 product, K=\(k)")
        }
    }
}
