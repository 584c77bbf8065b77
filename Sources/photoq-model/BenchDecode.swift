import ArgumentParser
import Foundation
import Imaging

/// `photoq-model bench decode`: CPU milliseconds per photo to decode
/// each file of a folder to the network's input size, grouped by format and
/// by the variant its name ends with ("dog-lossy.webp" → "lossy.webp"), as
/// Tests/Reference/make_format_fixtures.py names them. Files are read into
/// memory first, so the figures are decoding alone. CPU time is the whole
/// process's (dav1d and libde265 may decode on threads of their own); wall
/// time is reported beside it.
struct BenchDecode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Benchmark decoding every supported image format to the network input size.")

    @Option(help: "Folder of photos in any supported formats.")
    var images: String

    @Option(help: "Network input side the decode is for (the decoder covers transform's minimum size for it).")
    var size = 224

    @Option(help: "Input transform (the embedding pipeline's default is squash).")
    var transform: InputTransform = .squash

    @Option(help: "Rounds over every file; the best round per file is kept.")
    var repeats = 3

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1.") }
        guard size >= 1 else { throw ValidationError("--size must be positive.") }
    }

    func run() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: images).sorted()
        let decoder = ImageDecoder()
        let target = transform.minimumDecodeSize(for: size)
        var groups: [String: (format: String, files: Int, best: Double, wall: Double, source: String, output: String)] = [:]
        for name in names {
            let path = images + "/" + name
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)), !data.isEmpty else { continue }
            let bytes = [UInt8](data)
            guard let first = try? decoder.decode(data: bytes, targetSize: target) else { continue }
            var best = Double.infinity, bestWall = Double.infinity
            for _ in 0..<repeats {
                let start = Self.processCPU(), wallStart = BenchClock.now()
                _ = try decoder.decode(data: bytes, targetSize: target)
                best = min(best, Self.processCPU() - start)
                bestWall = min(bestWall, BenchClock.now() - wallStart)
            }
            let variant = name.split(separator: "-", maxSplits: 1).last.map(String.init) ?? name
            let key = first.format.rawValue + " " + variant
            var group = groups[key] ?? (first.format.description, 0, 0, 0, "\(first.originalSize)", "\(first.image.width)×\(first.image.height)")
            group.files += 1
            group.best += best
            group.wall += bestWall
            groups[key] = group
        }
        guard !groups.isEmpty else { throw ValidationError("no decodable photos in \(images)") }
        var rows = [["format", "variant", "files", "stored", "decoded to", "CPU ms/photo", "wall ms/photo"]]
        for key in groups.keys.sorted() {
            let group = groups[key]!
            rows.append([group.format, String(key.split(separator: " ", maxSplits: 1)[1]), "\(group.files)", group.source,
                         group.output, fixed(group.best / Double(group.files) * 1000),
                         fixed(group.wall / Double(group.files) * 1000)])
        }
        print("Decode to cover \(target) (network input \(size), \(transform)), best of \(repeats) per file:")
        print(formatTable(rows))
    }

    private static func processCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
