import XCTest
@testable import ModelFormat

final class WeightFileTests: XCTestCase {
    private func temporaryPath(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "photoq-weights-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir + "/" + name
    }

    func testRoundTripKeepsShapesValuesAndMetadata() throws {
        let path = temporaryPath("round.safetensors")
        var writer = WeightFileWriter(metadata: ["model_id": "test-1"])
        writer.add("a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        writer.add("b", shape: [5], values: [0.5, -1, 2, 3.25, 7])
        writer.add("ids", shape: [3], int32s: [7, -2, 9])
        try writer.write(to: path)

        let file = try WeightFile(path: path)
        XCTAssertEqual(file.metadata["model_id"], "test-1")
        XCTAssertEqual(file.tensorNames, ["a", "b", "ids"])
        let a = try file.floats("a", shape: [2, 3])
        XCTAssertEqual(a.toArray(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Int(bitPattern: a.baseAddress) % 64, 0, "tensors are 64-byte aligned")
        XCTAssertEqual(try file.floats("b").toArray(), [0.5, -1, 2, 3.25, 7])
        XCTAssertEqual(try file.int32s("ids").values, [7, -2, 9])
    }

    func testWrongShapeMissingTensorAndWrongTypeAreErrors() throws {
        let path = temporaryPath("errors.safetensors")
        var writer = WeightFileWriter()
        writer.add("a", shape: [4], values: [1, 2, 3, 4])
        writer.add("ids", shape: [1], int32s: [1])
        try writer.write(to: path)
        let file = try WeightFile(path: path)
        XCTAssertThrowsError(try file.floats("a", shape: [2, 3])) { error in
            XCTAssertEqual(error as? WeightFileError, .wrongShape(path: path, name: "a", expected: [2, 3], actual: [4]))
        }
        XCTAssertThrowsError(try file.floats("nope")) { error in
            XCTAssertEqual(error as? WeightFileError, .missingTensor(path: path, name: "nope"))
        }
        XCTAssertThrowsError(try file.floats("ids"))
    }

    func testTruncatedGarbageAndForeignFilesAreRejected() throws {
        let garbage = temporaryPath("garbage.safetensors")
        try Data("this is not a weight file at all".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try WeightFile(path: garbage))

        let tiny = temporaryPath("tiny.safetensors")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tiny))
        XCTAssertThrowsError(try WeightFile(path: tiny))

        XCTAssertThrowsError(try WeightFile(path: temporaryPath("missing.safetensors"))) { error in
            guard case .cannotOpen? = error as? WeightFileError else { return XCTFail("\(error)") }
        }

        // A plain safetensors file without our metadata: readable only on request.
        let foreign = temporaryPath("foreign.safetensors")
        let header = Data(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#.utf8)
        var blob = Data()
        var length = UInt64(header.count).littleEndian
        blob.append(Data(bytes: &length, count: 8)); blob.append(header)
        var one: Float = 1; blob.append(Data(bytes: &one, count: 4))
        try blob.write(to: URL(fileURLWithPath: foreign))
        XCTAssertThrowsError(try WeightFile(path: foreign))
        XCTAssertThrowsError(try WeightFile(path: foreign, requirePhotoqFormat: false).floats("x"),
                             "unaligned data is refused rather than read misaligned")

        // A header whose byte range overruns the file.
        let overrun = temporaryPath("overrun.safetensors")
        let badHeader = Data(#"{"__metadata__":{"format":"photoq","format_version":"1"},"x":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}"#.utf8)
        var blob2 = Data(); var length2 = UInt64(badHeader.count).littleEndian
        blob2.append(Data(bytes: &length2, count: 8)); blob2.append(badHeader)
        try blob2.write(to: URL(fileURLWithPath: overrun))
        XCTAssertThrowsError(try WeightFile(path: overrun))
    }

    func testPythonWriterOutputIsReadable() throws {
        let python = ProcessInfo.processInfo.environment["PHOTOQ_PYTHON"] ?? "python3"
        let path = temporaryPath("py.safetensors")
        let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tools/convert").path
        let script = """
        import sys, numpy as np
        sys.path.insert(0, '\(tools)')
        import pqformat
        pqformat.write('\(path)', {'w': np.arange(6, dtype=np.float32).reshape(2, 3), 'k': np.array([3, 4], dtype=np.int32)}, {'model_id': 'py'})
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script]
        try process.run(); process.waitUntilExit()
        try XCTSkipIf(process.terminationStatus != 0, "python3 with numpy not available")
        let file = try WeightFile(path: path)
        XCTAssertEqual(file.metadata["model_id"], "py")
        XCTAssertEqual(try file.floats("w", shape: [2, 3]).toArray(), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try file.int32s("k").values, [3, 4])
    }

    /// Half-precision tensors: NumPy's float16 (an independent rounding) writes
    /// the reference file, ours must read it back to the same floats, and our
    /// writer's rounding must produce the same bits NumPy does.
    func testHalfPrecisionMatchesNumPysFloat16() throws {
        let python = ProcessInfo.processInfo.environment["PHOTOQ_PYTHON"] ?? "python3"
        let values: [Float] = [0.1, -0.3333, 1e-5, 65504, 7e4, -2.5e-8, 0, 1234.567, -0.0001]
        let ours = temporaryPath("half-ours.safetensors"), theirs = temporaryPath("half-numpy.safetensors")
        var writer = WeightFileWriter()
        writer.add("w", shape: [3, 3], halfPrecision: values)
        writer.add("f", shape: [2], values: [1, 2])
        try writer.write(to: ours)
        let tools = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tools/convert").path
        let list = values.map { "\($0)" }.joined(separator: ",")
        let script = """
        import sys, numpy as np
        sys.path.insert(0, '\(tools)')
        import pqformat
        w = np.array([\(list)], dtype=np.float32).astype(np.float16).reshape(3, 3)
        pqformat.write('\(theirs)', {'w': w}, {'model_id': 'half'})
        mine = pqformat.read('\(ours)')
        tensors = mine[1]
        assert tensors['w'].dtype == np.float16, tensors['w'].dtype
        assert (tensors['w'].view(np.uint16) == w.view(np.uint16)).all(), (tensors['w'], w)
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script]
        try process.run(); process.waitUntilExit()
        try XCTSkipIf(process.terminationStatus == 127, "python3 with numpy not available")
        XCTAssertEqual(process.terminationStatus, 0, "NumPy's float16 rounding differs from the writer's")
        let reference = try WeightFile(path: theirs)
        let file = try WeightFile(path: ours)
        XCTAssertEqual(try file.floatArray("w", shape: [3, 3]), try reference.floatArray("w", shape: [3, 3]))
        let read = try file.floatArray("w")
        XCTAssertEqual(read[0], 0.0999755859375)
        XCTAssertEqual(read[3], 65504)
        XCTAssertEqual(read[4], .infinity, "beyond float16's range")
        XCTAssertEqual(try file.floatArray("f"), [1, 2], "F32 tensors read the same way")
        XCTAssertThrowsError(try file.floats("w"), "an F16 tensor cannot be mapped as float32")
        XCTAssertThrowsError(try file.floatArray("w", shape: [9]))
    }
}
