import ArgumentParser
import CBLAS
import Foundation
import Imaging
import Model
import ModelFormat

/// `photoq-model bench backbone`: decode, network and end-to-end speed of
/// EfficientNet-Lite0 (or Lite1/Lite2) on real photos, next to the same network and photos
/// through ONNX Runtime (tools/bench/onnx_backbone.py) in the same run.
///
/// Per-photo costs (decode, network, GEMM rate, sgemm peak) are thread CPU
/// time, so they stay meaningful on a shared, busy machine; throughput is wall
/// clock. Each repeat runs photoq's then ONNX Runtime's measurements, and the
/// best of the repeats is kept for each, so both sides see similar load.
struct BenchBackbone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backbone",
        abstract: "Benchmark JPEG decoding and EfficientNet-Lite (default Lite0) against ONNX Runtime.")

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

    @Option(help: "Photos per forward pass (photoq batches the 1×1 convolutions over them).")
    var batch = 1

    @Option(help: "Alternating photoq / ONNX Runtime rounds; the best of each is reported.")
    var repeats = 2

    @Option(help: "Python with onnxruntime for the comparison (default: $PHOTOQ_PYTHON or the repository's .venv).")
    var python: String?

    @Flag(help: "Print photoq's CPU ms per photo for each convolution (to stderr).")
    var layers = false

    @Option(help: "Backbone: lite0 (the default model's), lite1 or lite2.")
    var backbone = "lite0"

    @Flag(help: "Skip the ONNX Runtime comparison.")
    var skipOnnx = false

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    func validate() throws {
        _ = try backboneFile(backbone)
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1.") }
        guard limit >= 0 else { throw ValidationError("--limit must not be negative.") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1.") }
    }

    func run() throws {
        // Parallelism is over photos; BLAS itself stays on one thread.
        openblas_set_num_threads(1)
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must list positive integers, e.g. 1,2")
        }
        let folder = images ?? ModelPaths.dataDirectory + "/coco-val2017/images"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw ToolError("cannot list photos in \(folder) (set PHOTOQ_DATA_DIR or pass --images)")
        }
        var paths = names.filter { $0.lowercased().hasSuffix(".jpg") || $0.lowercased().hasSuffix(".jpeg") }
            .sorted().map { folder + "/" + $0 }
        if limit > 0 { paths = Array(paths.prefix(limit)) }
        guard !paths.isEmpty else { throw ToolError("no JPEG photos in \(folder)") }
        let network = try EfficientNetLite(modelDirectory: models, file: try backboneFile(backbone))
        let loadBefore = loadAverage()

        var mine: PhotoqFigures?
        var onnx: OnnxReport?
        var onnxError: String?
        for round in 1...repeats {
            log("round \(round)/\(repeats): photoq…")
            let figures = try measurePhotoq(network, paths: paths, threadCounts: threadCounts)
            mine = mine.map { $0.best(with: figures) } ?? figures
            if !skipOnnx {
                log("round \(round)/\(repeats): ONNX Runtime…")
                do {
                    let theirs = try runOnnx(folder: folder)
                    onnx = onnx.map { $0.best(with: theirs) } ?? theirs
                } catch { onnxError = "\(error)" }
            }
        }
        let report = BackboneBenchReport(mine!, onnx: onnx, onnxError: onnxError, photos: paths.count, batch: batch,
                                         transform: transform.rawValue, load: [loadBefore, loadAverage()],
                                         kernels: .init(openblas_core: String(cString: openblas_get_corename())),
                                         backbone: network.name, imageSize: network.imageSize)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.table)
        }
    }

    /// One round of photoq's own measurements.
    private func measurePhotoq(_ network: EfficientNetLite, paths: [String], threadCounts: [Int]) throws -> PhotoqFigures {
        let transform = self.transform
        let peak = measureSgemmPeak()

        // Decode only, one thread.
        var inputs: [[Float]] = []
        var start = BenchClock.threadCPU()
        for path in paths { inputs.append(try ImageLoader.loadNetworkInput(path: path, size: network.imageSize, transform: transform)) }
        let decodeMs = (BenchClock.threadCPU() - start) * 1000 / Double(paths.count)

        // Network only, one thread, on the decoded inputs, `batch` photos per pass.
        let batch = self.batch
        let chunks = stride(from: 0, to: paths.count, by: batch).map { $0..<min($0 + batch, paths.count) }
        let batched = chunks.map { range in Array(inputs[range].joined()) }
        let workspace = EfficientNetWorkspace()
        workspace.profileLayers = layers
        _ = try network.forward(batched[0], batch: chunks[0].count, workspace: workspace)
        workspace.stats = ForwardStats()
        start = BenchClock.threadCPU()
        for (range, input) in zip(chunks, batched) { _ = try network.forward(input, batch: range.count, workspace: workspace) }
        let networkMs = (BenchClock.threadCPU() - start) * 1000 / Double(paths.count)
        let stats = workspace.stats
        if layers {
            let rows = stats.layerSeconds.sorted { $0.value > $1.value }.map {
                [$0.key, fixed($0.value * 1000 / Double(paths.count), 3)]
            }
            FileHandle.standardError.write(Data((formatTable([["layer", "CPU ms/photo"]] + rows) + "\n").utf8))
        }

        // End to end: decode + network, parallel over chunks of photos, wall clock.
        var endToEnd: [BackboneBenchReport.EndToEnd] = []
        for count in threadCounts {
            let workspaces = PerWorker(count: count) { EfficientNetWorkspace() }
            let failures = PerWorker(count: count) { 0 }
            for w in 0..<count { _ = try network.forward(batched[0], batch: chunks[0].count, workspace: workspaces.slots[w]) }
            start = BenchClock.now()
            parallelForEach(count: chunks.count, threads: count) { worker, index in
                do {
                    var input: [Float] = []
                    for photo in chunks[index] {
                        input += try ImageLoader.loadNetworkInput(path: paths[photo], size: network.imageSize, transform: transform)
                    }
                    _ = try network.forward(input, batch: chunks[index].count, workspace: workspaces.slots[worker])
                } catch {
                    failures.slots[worker] += 1
                }
            }
            let seconds = BenchClock.now() - start
            let failed = failures.slots.reduce(0, +)
            guard failed == 0 else { throw ToolError("\(failed) batches failed during the end-to-end run") }
            endToEnd.append(.init(threads: count, photos_per_second: Double(paths.count) / seconds))
        }
        return PhotoqFigures(decodeMs: decodeMs, networkMs: networkMs, stats: stats, peak: peak, endToEnd: endToEnd)
    }

    private func runOnnx(folder: String) throws -> OnnxReport {
        let repo = Self.repositoryRoot
        let script = repo + "/tools/bench/onnx_backbone.py"
        let python = self.python ?? ProcessInfo.processInfo.environment["PHOTOQ_PYTHON"] ?? repo + "/.venv/bin/python"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--json", "--weights", ModelPaths.model(try backboneFile(backbone), in: models),
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

    /// `$PHOTOQ_REPO`, else the checkout this binary was built from.
    static var repositoryRoot: String {
        if let repo = ProcessInfo.processInfo.environment["PHOTOQ_REPO"], !repo.isEmpty { return repo }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
    }

    private func log(_ message: String) {
        if !json { FileHandle.standardError.write(Data((message + "\n").utf8)) }
    }
}

/// photoq's figures from one round.
struct PhotoqFigures {
    let decodeMs: Double
    let networkMs: Double
    let stats: ForwardStats
    let peak: Double
    let endToEnd: [BackboneBenchReport.EndToEnd]

    /// The better of two rounds, figure by figure.
    func best(with other: PhotoqFigures) -> PhotoqFigures {
        PhotoqFigures(decodeMs: min(decodeMs, other.decodeMs),
                      networkMs: min(networkMs, other.networkMs),
                      stats: stats.totalSeconds <= other.stats.totalSeconds ? stats : other.stats,
                      peak: max(peak, other.peak),
                      endToEnd: bestEndToEnd(endToEnd, other.endToEnd))
    }
}

func bestEndToEnd(_ a: [BackboneBenchReport.EndToEnd], _ b: [BackboneBenchReport.EndToEnd]) -> [BackboneBenchReport.EndToEnd] {
    a.map { e in
        let other = b.first { $0.threads == e.threads }?.photos_per_second ?? 0
        return .init(threads: e.threads, photos_per_second: max(e.photos_per_second, other))
    }
}

/// `bench backbone --json` output, version 1. Per-photo ms are thread CPU
/// time; photos/s are wall clock.
struct BackboneBenchReport: Encodable {
    struct EndToEnd: Codable { let threads: Int; let photos_per_second: Double }
    struct Breakdown: Encodable { let gemm: Double; let depthwise: Double; let other: Double }
    struct Ratio: Encodable { let threads: Int; let ratio: Double }
    /// Which code ran: OpenBLAS's kernel family (OPENBLAS_CORETYPE can force
    /// one), which runs every dense and 1×1 convolution.
    struct Kernels: Encodable { let openblas_core: String }
    let version: Int
    let photos: Int
    let batch: Int
    let transform: String
    let load_average: [Double]
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
    /// photoq / ONNX Runtime end-to-end photos/s on 1 and 2 threads (when both were measured).
    let ratio_end_to_end_1_thread: Double?
    let ratio_end_to_end_2_threads: Double?
    let kernels: Kernels

    let backbone: String
    let image_size: Int

    init(_ mine: PhotoqFigures, onnx: OnnxReport?, onnxError: String?, photos: Int, batch: Int, transform: String,
         load: [Double], kernels: Kernels, backbone: String, imageSize: Int) {
        self.kernels = kernels
        self.backbone = backbone
        image_size = imageSize
        self.batch = batch
        let images = Double(max(mine.stats.images, 1))
        version = 1
        self.photos = photos
        self.transform = transform
        load_average = load
        decode_ms_per_photo = mine.decodeMs
        network_ms_per_photo = mine.networkMs
        network_breakdown_ms = Breakdown(gemm: mine.stats.gemmSeconds * 1000 / images,
                                         depthwise: mine.stats.depthwiseSeconds * 1000 / images,
                                         other: mine.stats.otherSeconds * 1000 / images)
        conv_gemm_gflops = mine.stats.gemmGflops
        sgemm_peak_gflops = mine.peak
        conv_gemm_fraction_of_peak = mine.stats.gemmGflops / mine.peak
        end_to_end = mine.endToEnd
        onnxruntime = onnx
        onnxruntime_error = onnxError
        ratio_vs_onnxruntime = onnx.map { o in
            mine.endToEnd.compactMap { e in
                o.end_to_end.first { $0.threads == e.threads }.map {
                    Ratio(threads: e.threads, ratio: e.photos_per_second / $0.photos_per_second)
                }
            }
        }
        ratio_end_to_end_1_thread = ratio_vs_onnxruntime?.first { $0.threads == 1 }?.ratio
        ratio_end_to_end_2_threads = ratio_vs_onnxruntime?.first { $0.threads == 2 }?.ratio
    }

    var table: String {
        var rows: [[String]] = [["", "photoq", "ONNX Runtime", "photoq / ORT"]]
        let o = onnxruntime
        func cell(_ v: Double?) -> String { v.map { fixed($0) } ?? "–" }
        func speedup(_ theirs: Double?, _ ours: Double) -> String { theirs.map { fixed($0 / ours) + "×" } ?? "" }
        rows.append(["decode CPU ms/photo", fixed(decode_ms_per_photo), cell(o?.decode_ms_per_photo),
                     speedup(o?.decode_ms_per_photo, decode_ms_per_photo)])
        rows.append(["network CPU ms/photo", fixed(network_ms_per_photo), cell(o?.network_ms_per_photo),
                     speedup(o?.network_ms_per_photo, network_ms_per_photo)])
        for e in end_to_end {
            let theirs = o?.end_to_end.first { $0.threads == e.threads }?.photos_per_second
            rows.append(["end to end photos/s, \(e.threads) thread\(e.threads == 1 ? "" : "s")", fixed(e.photos_per_second, 1),
                         theirs.map { fixed($0, 1) } ?? "–", theirs.map { fixed(e.photos_per_second / $0) + "×" } ?? ""])
        }
        var text = "\(backbone) on \(photos) photos (\(transform) to \(image_size)×\(image_size); photoq batch \(batch), ONNX Runtime 1)\n"
            + formatTable(rows)
        text += "\n\nnetwork CPU ms/photo: conv GEMMs \(fixed(network_breakdown_ms.gemm)), depthwise "
            + "\(fixed(network_breakdown_ms.depthwise)), other \(fixed(network_breakdown_ms.other))"
        text += "\nconv GEMMs: \(fixed(conv_gemm_gflops, 1)) GFLOP/s = \(fixed(conv_gemm_fraction_of_peak * 100, 0))% "
            + "of cblas_sgemm peak \(fixed(sgemm_peak_gflops, 1)) GFLOP/s (1024³, 1 thread)"
        text += "\nkernels: convolutions through OpenBLAS core \(kernels.openblas_core), depthwise in Swift SIMD"
        text += "\nload average before/after: \(load_average.map { fixed($0) }.joined(separator: " / "))"
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

    func best(with other: OnnxReport) -> OnnxReport {
        OnnxReport(onnxruntime: onnxruntime, photos: photos,
                   decode_ms_per_photo: min(decode_ms_per_photo, other.decode_ms_per_photo),
                   network_ms_per_photo: min(network_ms_per_photo, other.network_ms_per_photo),
                   end_to_end: bestEndToEnd(end_to_end, other.end_to_end))
    }
}
