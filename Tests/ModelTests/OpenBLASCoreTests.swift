import BLASRuntime
import Foundation
import TestSupport
import XCTest

/// photoq corrects OpenBLAS's kernel choice only where it predates the CPU,
/// and its programs start again with that choice in force.
final class OpenBLASCoreTests: XCTestCase {
    func testOnlyChoicesOlderThanTheCPUAreReplaced() {
        XCTAssertEqual(OpenBLASCore.better(than: "Prescott", avx2FMA: true, avx512: false), "Haswell")
        XCTAssertEqual(OpenBLASCore.better(than: "Prescott", avx2FMA: true, avx512: true), "SkylakeX")
        XCTAssertEqual(OpenBLASCore.better(than: "Sandybridge", avx2FMA: true, avx512: false), "Haswell")
        XCTAssertNil(OpenBLASCore.better(than: "Prescott", avx2FMA: false, avx512: false), "an SSE3 CPU keeps SSE3")
        for fine in ["Haswell", "SkylakeX", "Cooperlake", "SapphireRapids", "Zen"] {
            XCTAssertNil(OpenBLASCore.better(than: fine, avx2FMA: true, avx512: true), fine)
        }
    }

    func testModelToolRunsTheKernelsThisCPUCanRun() throws {
        let tool = TestEnvironment.binDirectory + "/photoq-model"
        guard FileManager.default.isExecutableFile(atPath: tool) else { throw XCTSkip("\(tool) is not built") }
        // bench backbone --json names the core it ran; one photo, no ONNX Runtime.
        let samples = try TestEnvironment.data("samples")
        let r = try TestEnvironment.run(tool, ["bench", "backbone", "--images", samples, "--limit", "1", "--repeats", "1",
                                               "--threads", "1", "--skip-onnx", "--json"])
        XCTAssertEqual(r.status, 0, String(decoding: r.stderr, as: UTF8.self))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.stdout) as? [String: Any])
        let core = try XCTUnwrap((json["kernels"] as? [String: Any])?["openblas_core"] as? String)
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            // This process loaded OpenBLAS with its own choice: where that was
            // too old, the tool must have run the corrected one.
            XCTAssertEqual(core, OpenBLASCore.better ?? OpenBLASCore.name)
        }
    }
}
