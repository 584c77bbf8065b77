import ArgumentParser
import Foundation
import Imaging
import Model
import ModelFormat

extension InputTransform: ExpressibleByArgument {}

/// `photoq-model classify IMAGE...`: top ImageNet classes per photo.
struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the top ImageNet classes of each photo with EfficientNet-Lite0.")

    @Argument(help: "JPEG photos to classify.")
    var images: [String]

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Option(help: "Model directory (default: $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).")
    var models: String?

    @Option(help: "How a photo becomes the square input: centerCrop (ImageNet's evaluation crop) or squash.")
    var transform: InputTransform = .centerCrop

    @Option(help: "How many classes to print per photo.")
    var top = 5

    @Option(help: "Backbone: lite0 (the default model's), lite1 or lite2.")
    var backbone = "lite0"

    func validate() throws {
        guard (1...1000).contains(top) else { throw ValidationError("--top must be between 1 and 1000.") }
        _ = try backboneFile(backbone)
    }

    func run() throws {
        let network = try EfficientNetLite(modelDirectory: models, file: try backboneFile(backbone))
        let labels = try ClassLabels(modelDirectory: models)
        let workspace = EfficientNetWorkspace()
        var results: [ClassifyResult] = []
        for path in images {
            do {
                let input = try ImageLoader.loadNetworkInput(path: path, size: network.imageSize, transform: transform)
                let output = try network.forward(input, batch: 1, workspace: workspace)
                let ranked = softmax(Array(output.logits)).enumerated().sorted { $0.element > $1.element }.prefix(top)
                let classes = ranked.map { ClassifyResult.Class(class_index: $0.offset, label: labels[$0.offset],
                                                                probability: Double($0.element)) }
                results.append(ClassifyResult(file: path, top: classes, error: nil))
                if !json { printText(path, classes) }
            } catch {
                results.append(ClassifyResult(file: path, top: nil, error: "\(error)"))
                if !json { printError("\(path): \(error)") }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(ClassifyReport(version: 1, results: results))
            print(String(decoding: data, as: UTF8.self))
        }
        if results.contains(where: { $0.error != nil }) { throw ExitCode.failure }
    }

    private func printText(_ path: String, _ classes: [ClassifyResult.Class]) {
        print(path)
        for c in classes {
            let percent = String(format: "%6.2f%%", c.probability * 100)
            print("  \(percent)  \(c.label) (\(c.class_index))")
        }
    }
}

/// probabilities (K) = softmax(logits (K)), computed stably.
func softmax(_ logits: [Float]) -> [Float] {
    let peak = logits.max() ?? 0
    let exps = logits.map { Foundation.exp($0 - peak) }
    let sum = exps.reduce(0, +)
    return exps.map { $0 / sum }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
}

/// `classify --json` output, version 1.
struct ClassifyReport: Encodable {
    let version: Int
    let results: [ClassifyResult]
}

struct ClassifyResult: Encodable {
    struct Class: Encodable {
        let class_index: Int
        let label: String
        let probability: Double
    }
    let file: String
    let top: [Class]?
    let error: String?
}
