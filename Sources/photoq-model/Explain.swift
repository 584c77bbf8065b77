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
            Writes the photo with a heat map of where it looks most like the query, prints how much \
            of that each word explains and where the photo looks most like each word.
            """)

    @Argument(help: "A photo.")
    var image: String

    @Argument(help: "The query to explain (default: the photo's top ImageNet class).")
    var query: String?

    @Option(help: "Where to write the picture: .png or .jpg/.jpeg (default: a private file in $XDG_RUNTIME_DIR/photoq, else the cache folder).")
    var out: String?

    @Option(help: "cells (the query's match per cell, the default), eb (Excitation Backprop from the query), cmwp (contrastive EB), gradcam (Grad-CAM), gradient or centre.")
    var method: ExplanationMethod?

    @Flag(help: "Write a strip: the whole query's map, then one map per word, left to right.")
    var words = false

    @Option(help: "Write this word's map instead of the whole query's.")
    var word: String?

    @Flag(help: "Print one JSON document: peaks, word scores and the maps as downsampled grids.")
    var json = false

    @Option(help: "Largest side of the JSON grid.")
    var grid = 14

    @Flag(help: "Print the time of each phase (decode, explain, render) to stderr, on the calling thread.")
    var timings = false

    @OptionGroup var models: ExplainModelOptions

    func validate() throws {
        guard grid >= 1 else { throw ValidationError("--grid must be at least 1.") }
        if words && word != nil { throw ValidationError("Use either --words or --word.") }
        if let out {
            do { _ = try HeatMapOutput.format(forPath: out) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        let (explainer, target) = try models.makeExplainer()
        var clock = PhaseClock()
        let photo = try ImageDecoder().decode(path: image).image
        let input = networkInput(photo, size: EfficientNetLite.gridInputSize, transform: .squash)
        clock.lap("decode")
        let chosen = method ?? .defaultMethod(for: explainer)
        let tiles = networkInputTiles(photo, side: explainer.tileSide, overlapping: explainer.overlapsTiles,
                                      mirrored: explainer.flipAverage)
        let pass = try explainer.forward(input: input, tiles: tiles.tiles, mirroredTiles: tiles.mirrored,
                                         keepActivations: chosen.walksTheBackbone)
        let text = try query ?? models.setup.topClassName(pass.logits)
        let explanation = try explainer.explain(pass, query: text, method: chosen)
        clock.lap("explain")
        let picture = try ExplainPicture.choice(words: words, word: word, explanation: explanation)
        let path = out ?? HeatMapOutput.defaultPath(name: "explain-\(getpid()).jpg",
                                                    environment: ProcessInfo.processInfo.environment)
        let report = ExplanationReport(image: image, query: text, target: target, explanation: explanation,
                                       photoWidth: photo.width, photoHeight: photo.height, out: path, gridSide: grid,
                                       picture: picture)
        let bytes = try HeatMap.encode(ExplainPicture.render(photo, report), forPath: path)
        clock.lap("render")
        if timings { stderrLine(clock.summary) }
        do { try HeatMapOutput.write(bytes, to: path, createFolder: out == nil) } catch {
            throw ExplainFailure(description: error.description)
        }
        print(json ? try report.json() : report.text(color: ExplanationReport.useColor))
    }
}

/// The picture of a report: one map, or the strip of the query and its words.
enum ExplainPicture {
    static func choice(words: Bool, word: String?, explanation: Explanation) throws -> ExplanationReport.Picture {
        if let word {
            guard explanation.word(word) != nil else {
                let known = explanation.perWord.map(\.word).joined(separator: ", ")
                throw ValidationError(known.isEmpty ? "this explanation has no per-word maps (use --target joint)."
                                                    : "\(word) is not one of the query's words (\(known)).")
            }
            return .word(word.lowercased())
        }
        return words ? .strip : .combined
    }

    static func render(_ photo: RGBImage, _ report: ExplanationReport) throws -> RGBImage {
        let tiles = report.tiles
        if report.picture == .combined, let only = tiles.first {
            return try HeatMap.render(photo, grid: only.map.values, gridWidth: only.map.width, gridHeight: only.map.height)
        }
        return try HeatMapStrip.render(photo, tiles: tiles.map {
            HeatMapStrip.Tile(label: $0.label, grid: $0.map.values, gridWidth: $0.map.width, gridHeight: $0.map.height)
        }, tileHeight: report.picture == .strip ? 240 : photo.height)
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
