import ArgumentParser
import Foundation
import Imaging
import Model

/// `photoq-model explain IMAGE "query"`: why a photo matches a query, for a
/// photo that is in no index (no daemon needed).
struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show where in a photo, and through which words, it matches a query.",
        discussion: """
            Writes the photo with a heat map of the saliency (Excitation Backprop by default) and \
            prints the query with each word's share of the match.
            """)

    @Argument(help: "A JPEG photo.")
    var image: String

    @Argument(help: "The query to explain (default: the photo's top ImageNet class).")
    var query: String?

    @Option(help: "Where to write the heat map: .png for PNG, otherwise JPEG (default: a temporary file).")
    var out: String?

    @Option(help: "eb (Excitation Backprop), cmwp (contrastive EB) or gradient (gradient × activation).")
    var method: ExplanationMethod = .eb

    @Flag(help: "Print one JSON document: word scores and the saliency as a downsampled grid.")
    var json = false

    @Option(help: "Largest side of the JSON grid.")
    var grid = 14

    @Flag(help: "Print the time of each phase (decode, explain, render) to stderr, on the calling thread.")
    var timings = false

    @OptionGroup var models: ExplainModelOptions

    func validate() throws {
        guard grid >= 1 else { throw ValidationError("--grid must be at least 1.") }
    }

    func run() throws {
        let (explainer, target) = try models.makeExplainer()
        var clock = PhaseClock()
        let photo = try ImageDecoder().decode(path: image).image
        let input = networkInput(photo, size: EfficientNetLite0.imageSize, transform: .squash)
        clock.lap("decode")
        let pass = try explainer.forward(input: input)
        let text = try query ?? models.setup.topClassName(pass.logits)
        let explanation = try explainer.explain(pass, query: text, method: method)
        clock.lap("explain")
        let rendered = try HeatMap.render(photo, grid: explanation.map.values,
                                          gridWidth: explanation.map.width, gridHeight: explanation.map.height)
        let path = out ?? NSTemporaryDirectory() + "photoq-explain-\(getpid()).jpg"
        let bytes = try HeatMap.encode(rendered, forPath: path)
        clock.lap("render")
        if timings { stderrLine(clock.summary) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw ExplainFailure(description: "cannot write \(path) (does its folder exist and is it writable?)")
        }
        let report = ExplanationReport(image: image, query: text, target: target, explanation: explanation,
                                   photoWidth: photo.width, photoHeight: photo.height, out: path, gridSide: grid)
        if json {
            print(try report.json())
        } else {
            print(report.text(color: ExplanationReport.useColor))
        }
    }
}

/// A failure at run time (not a usage error): printed as "Error: …", exit status 1.
struct ExplainFailure: Error, CustomStringConvertible {
    let description: String
}

/// Wall-clock phases of one explanation (models already loaded).
struct PhaseClock {
    private var last = Date()
    private var phases: [(String, Double)] = []

    mutating func lap(_ name: String) {
        let now = Date()
        phases.append((name, now.timeIntervalSince(last) * 1000))
        last = now
    }

    var summary: String {
        let total = phases.reduce(0) { $0 + $1.1 }
        return phases.map { String(format: "%@ %.0f ms", $0.0, $0.1) }.joined(separator: ", ")
            + String(format: ", total %.0f ms", total)
    }
}
