import ArgumentParser
import CBLAS
import Foundation
import Imaging
import Model
import ModelFormat

/// `photoq-model bench backbone`: decode, network and end-to-end speed of
/// EfficientNet-Lite0 on real photos, next to the same network and photos
/// through ONNX Runtime (tools/bench/onnx_backbone.py) in the same run.
struct BenchBackbone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backbone",
        abstract: "Benchmark JPEG decoding and EfficientNet-Lite0 against ONNX Runtime.")

    @Option(help: "Folder of JPEG photos (default: the data directory's coco-val2017/images).")
    var images: String?

    @Option(help: "Model directory (default: $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).")
    var models: String?

    @Option(help: "Thread counts to measure end to end, comma-separated.")
    var threads = "1,2"

    @Option(help: "Input transform (the embedding pipeline's default is squash).")
    var transform: InputTransform = .squash

    @Option(help: "Use only the first N photos (0: all).")
    var limit = 0

    @Option(help: "Python with onnxruntime for the comparison (default: the repository's .venv).")
    var python: String?

    @Flag(help: "Skip the ONNX Runtime comparison.")
    var skipOnnx = false

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    func run() throws {
        // Parallelism is over photos; BLAS itself stays on one thread.
        openblas_set_num_threads(1)
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must list positive integers, e.g. 1,2")
        }
        let folder = images ?? ModelPaths.dataDirectory + "/coco-val2017/images"
        var paths = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.lowercased().hasSuffix(".jpg") || $0.lowercased().hasSuffix(".jpeg") }
            .sorted().map { folder + "/" + $0 }
        if limit > 0 { paths = Array(paths.prefix(limit)) }
        guard !paths.isEmpty else { throw ToolError("no JPEG photos in \(folder)") }
        let network = try EfficientNetLite0(modelDirectory: models)
        let transform = self.transform
        if !json { log("sgemm peak…") }
        let peak = measureSgemmPeak()

        // Decode only, one thread.
        if !json { log("decoding \(paths.count) photos…") }
        var inputs: [[Float]] = []
        var start = BenchClock.now()
        for path in paths { inputs.append(try ImageLoader.loadNetworkInput(path: path, transform: transform)) }
        let decodeMs = (BenchClock.now() - start) * 1000 / Double(paths.count)

        // Network only, one thread, on the decoded inputs.
        if !json { log("network…") }
        let workspace = EfficientNetWorkspace()
        _ = try network.forward(inputs[0], batch: 1, workspace: workspace)
        workspace.stats = ForwardStats()
        start = BenchClock.now()
        for input in inputs { _ = try network.forward(input, batch: 1, workspace: workspace) }
        let networkMs = (BenchClock.now() - start) * 1000 / Double(paths.count)
        let stats = workspace.stats

        // End to end: decode + network, parallel over photos.
        var endToEnd: [BackboneBenchReport.EndToEnd] = []
        for count in threadCounts {
            if !json { log("end to end, \(count) thread(s)…") }
            let workspaces = PerWorker(count: count) { EfficientNetWorkspace() }
            let failures = PerWorker(count: count) { 0 }
            for w in 0..<count { _ = try network.forward(inputs[0], batch: 1, workspace: workspaces.slots[w]) }
            let photoPaths = paths
            start = BenchClock.now()
            parallelForEach(count: photoPaths.count, threads: count) { worker, index in
                do {
                    let input = try ImageLoader.loadNetworkInput(path: photoPaths[index], transform: transform)
                    _ = try network.forward(input, batch: 1, workspace: workspaces.slots[worker])
                } catch {
                    failures.slots[worker] += 1
                }
            }
            let seconds = BenchClock.now() - start
            let failed = failures.slots.reduce(0, +)
            guard failed == 0 else { throw ToolError("\(failed) photos failed during the end-to-end run") }
            endToEnd.append(.init(threads: count, photos_per_second: Double(paths.count) / seconds))
        }

        var onnx: OnnxReport?
        var onnxError: String?
        if !skipOnnx {
            if !json { log("ONNX Runtime…") }
            do { onnx = try runOnnx(folder: folder, paths: paths.count) } catch { onnxError = "\(error)" }
        }
        let report = BackboneBenchReport(
            version: 1, photos: paths.count, transform: transform.rawValue,
            decode_ms_per_photo: decodeMs, network_ms_per_photo: networkMs,
            network_breakdown_ms: .init(gemm: stats.gemmSeconds * 1000 / Double(stats.images),
                                        depthwise: stats.depthwiseSeconds * 1000 / Double(stats.images),
                                        other: stats.otherSeconds * 1000 / Double(stats.images)),
            conv_gemm_gflops: stats.gemmGflops, sgemm_peak_gflops: peak,
            conv_gemm_fraction_of_peak: stats.gemmGflops / peak,
            end_to_end: endToEnd, onnxruntime: onnx, onnxruntime_error: onnxError,
            ratio_vs_onnxruntime: onnx.map { o in
                endToEnd.compactMap { mine in
                    o.end_to_end.first { $0.threads == mine.threads }.map {
                        .init(threads: mine.threads, ratio: mine.photos_per_second / $0.photos_per_second)
                    }
                }
            })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    private func runOnnx(folder: String, paths: Int) throws -> OnnxReport {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let script = ProcessInfo.processInfo.environment["PHOTOQ_REPO"].map { $0 + "/tools/bench/onnx_backbone.py" }
            ?? repo + "/tools/bench/onnx_backbone.py"
        let python = self.python ?? ProcessInfo.processInfo.environment["PHOTOQ_PYTHON"] ?? repo + "/.venv/bin/python"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--json", "--weights", ModelPaths.model(ModelPaths.backbone, in: models),
                             "--images", folder, "--threads", threads, "--transform", transform.rawValue,
                             "--limit", String(limit)]
        var env = ProcessInfo.processInfo.environment
        env["OMP_NUM_THREADS"] = "1"
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        do { try process.run() } catch { throw ToolError("cannot run \(python) \(script): \(error)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError("\(script) exited with status \(process.terminationStatus)")
        }
        do { return try JSONDecoder().decode(OnnxReport.self, from: data) } catch {
            throw ToolError("\(script) printed no readable report: \(error)")
        }
    }

    private func log(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}

/// `bench backbone --json` output, version 1.
struct BackboneBenchReport: Encodable {
    struct EndToEnd: Codable { let threads: Int; let photos_per_second: Double }
    struct Breakdown: Encodable { let gemm: Double; let depthwise: Double; let other: Double }
    struct Ratio: Encodable { let threads: Int; let ratio: Double }
    let version: Int
    let photos: Int
    let transform: String
    let decode_ms_per_photo: Double
    let network_ms_per_photo: Double
    let network_breakdown_ms: Breakdown
    let conv_gemm_gflops: Double
    let sgemm_peak_gflops: Double
    let conv_gemm_fraction_of_peak: Double
    let end_to_end: [EndToEnd]
    let onnxruntime: OnnxReport?
    let onnxruntime_error: String?
    let ratio_vs_onnxruntime: [Ratio]?

    var table: String {
        var rows: [[String]] = [["", "photoq", "ONNX Runtime", "photoq / ORT"]]
        let o = onnxruntime
        func cell(_ v: Double?) -> String { v.map { fixed($0) } ?? "–" }
        rows.append(["decode ms/photo (1 thread)", fixed(decode_ms_per_photo), cell(o?.decode_ms_per_photo), ""])
        rows.append(["network ms/photo (1 thread)", fixed(network_ms_per_photo), cell(o?.network_ms_per_photo),
                     o.map { fixed($0.network_ms_per_photo / network_ms_per_photo) + "×" } ?? ""])
        for e in end_to_end {
            let theirs = o?.end_to_end.first { $0.threads == e.threads }?.photos_per_second
            rows.append(["end to end photos/s, \(e.threads) thread(s)", fixed(e.photos_per_second, 1),
                         theirs.map { fixed($0, 1) } ?? "–", theirs.map { fixed(e.photos_per_second / $0) + "×" } ?? ""])
        }
        var text = "EfficientNet-Lite0 on \(photos) photos (\(transform))\n" + formatTable(rows)
        text += "\n\nnetwork breakdown ms/photo: GEMM \(fixed(network_breakdown_ms.gemm)), depthwise "
            + "\(fixed(network_breakdown_ms.depthwise)), other \(fixed(network_breakdown_ms.other))"
        text += "\nconv GEMMs: \(fixed(conv_gemm_gflops, 1)) GFLOP/s = \(fixed(conv_gemm_fraction_of_peak * 100, 0))% "
            + "of sgemm peak \(fixed(sgemm_peak_gflops, 1)) GFLOP/s (1024³, 1 thread)"
        if let o { text += "\nONNX Runtime \(o.onnxruntime)" }
        if let onnxruntime_error { text += "\nONNX Runtime comparison failed: \(onnxruntime_error)" }
        return text
    }
}

/// What tools/bench/onnx_backbone.py --json prints.
struct OnnxReport: Codable {
    let onnxruntime: String
    let photos: Int
    let decode_ms_per_photo: Double
    let network_ms_per_photo: Double
    let end_to_end: [BackboneBenchReport.EndToEnd]
}
