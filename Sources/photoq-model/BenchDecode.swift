import ArgumentParser
import Foundation
import Imaging

/// `photoq-model bench decode`: thread CPU milliseconds per photo to decode
/// each file of a folder to the network's input size, grouped by format and
/// by the variant its name ends with ("dog-lossy.webp" → "lossy.webp"), as
/// Tests/Reference/make_format_fixtures.py names them. Files are read into
/// memory first, so the figures are decoding alone.
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
        var groups: [String: (format: String, files: Int, best: Double, source: String, output: String)] = [:]
        for name in names {
            let path = images + "/" + name
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)), !data.isEmpty else { continue }
            let bytes = [UInt8](data)
            guard let first = try? decoder.decode(data: bytes, targetSize: target) else { continue }
            var best = Double.infinity
            for _ in 0..<repeats {
                let start = BenchClock.threadCPU()
                _ = try decoder.decode(data: bytes, targetSize: target)
                best = min(best, BenchClock.threadCPU() - start)
            }
            let variant = name.split(separator: "-", maxSplits: 1).last.map(String.init) ?? name
            let key = first.format.rawValue + " " + variant
            var group = groups[key] ?? (first.format.description, 0, 0, "\(first.originalSize)", "\(first.image.width)×\(first.image.height)")
            group.files += 1
            group.best += best
            groups[key] = group
        }
        guard !groups.isEmpty else { throw ValidationError("no decodable photos in \(images)") }
        var rows = [["format", "variant", "files", "stored", "decoded to", "ms/photo"]]
        for key in groups.keys.sorted() {
            let group = groups[key]!
            rows.append([group.format, String(key.split(separator: " ", maxSplits: 1)[1]), "\(group.files)", group.source,
                         group.output, fixed(group.best / Double(group.files) * 1000)])
        }
        print("Decode to cover \(target) (network input \(size), \(transform)), thread CPU, best of \(repeats):")
        print(formatTable(rows))
    }
}
