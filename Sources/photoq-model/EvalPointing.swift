import ArgumentParser
import Foundation
import Imaging
import Model
import Training

/// `photoq-model eval pointing`: the pointing game on COCO boxes, per method.
struct EvalPointing: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pointing",
        abstract: "Pointing-game accuracy of the saliency methods on COCO object boxes.",
        discussion: """
            For each photo and each category present, the category name is the query; a hit when the \
            map's maximum lies within --tolerance pixels (at the photo's original size) of a box of \
            that category. Reports the accuracy over queries and the mean over categories, each with \
            its standard error. The centre baseline always points at the photo's centre.
            """)

    @Option(help: "COCO-format instances JSON (images, annotations with bbox, categories).")
    var instances: String

    @Option(help: "Folder holding the photos named in the instances file.")
    var images: String

    @Option(help: "Hit tolerance in pixels of the original photo.")
    var tolerance = PointingGame.defaultTolerance

    @Option(help: "Method reported as \"accuracy\" in JSON: eb, cmwp, gradcam, cells, gradient or centre.")
    var method: ExplanationMethod?

    @Option(help: "Methods to evaluate, comma-separated (default: all).")
    var methods: String?

    @Option(help: "Point at the peak located within its cell (true, as explain reports it) or at the largest cell's centre (false).")
    var peakInCell = true

    @Option(help: "Evaluate at most this many queries (0: all).")
    var limit = 0

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var models: ExplainModelOptions

    func chosenMethods() throws -> [ExplanationMethod] {
        guard let methods else { return ExplanationMethod.allCases }
        return try methods.split(separator: ",").map {
            guard let m = ExplanationMethod(name: String($0)) else { throw ValidationError("unknown method \($0)") }
            return m
        }
    }

    func validate() throws {
        _ = try chosenMethods()
    }

    func run() throws {
        let game = try PointingGame(instancesPath: instances)
        let (explainer, target) = try models.makeExplainer(fallback: .joint)
        let method = self.method ?? .defaultMethod(for: explainer)
        guard explainer.supports(method) else {
            throw ValidationError("--method \(method.rawValue) explains the joint space; the target is \(target) (use --target joint or another --method).")
        }
        var evaluated = try chosenMethods().filter(explainer.supports)
        if !evaluated.contains(method) { evaluated.insert(method, at: 0) }
        var queries = game.queries
        if limit > 0 { queries = Array(queries.prefix(limit)) }
        var tallies = Dictionary(uniqueKeysWithValues: evaluated.map { ($0, PointingGame.Tally()) })
        var centre = PointingGame.Tally()
        var outcomes: [[String: Any]] = []
        var cached: (name: String, pass: Explainer.Forward)?
        let started = Date()
        for query in queries {
            if cached?.name != query.fileName {
                let photo = try ImageDecoder().decode(path: images + "/" + query.fileName).image
                let input = networkInput(photo, size: EfficientNetLite.gridInputSize, transform: .squash)
                let tiles = networkInputTiles(photo, side: explainer.tileSide, overlapping: explainer.overlapsTiles,
                                      mirrored: explainer.flipAverage)
                cached = (query.fileName, try explainer.forward(input: input, tiles: tiles.tiles, mirroredTiles: tiles.mirrored,
                                                                keepActivations: evaluated.contains(where: \.walksTheBackbone)))
            }
            guard let current = cached else { continue }
            // The map covers the whole photo: its cells map onto the original size.
            let (width, height) = (Double(query.width), Double(query.height))
            for m in evaluated {
                let map = try explainer.explain(current.pass, query: query.category, method: m).map
                let (cx, cy) = peakInCell ? map.peak : (Double(map.argmax.x) + 0.5, Double(map.argmax.y) + 0.5)
                let x = cx * width / Double(map.width)
                let y = cy * height / Double(map.height)
                let hit = PointingGame.isHit(x: x, y: y, boxes: query.boxes, tolerance: tolerance)
                tallies[m]?.add(category: query.category, hit: hit)
                if m == method {
                    outcomes.append(["file": query.fileName, "category": query.category, "hit": hit,
                                     "peak": ["x": Int(x), "y": Int(y)]])
                }
            }
            centre.add(category: query.category,
                       hit: PointingGame.isHit(x: width / 2, y: height / 2, boxes: query.boxes, tolerance: tolerance))
        }
        let main = tallies[method] ?? PointingGame.Tally()
        if json {
            func stats(_ t: PointingGame.Tally) -> [String: Any] {
                ["accuracy": t.accuracy, "stderr": t.standardError, "accuracy_per_category": t.accuracyPerCategory,
                 "stderr_per_category": t.standardErrorPerCategory]
            }
            let object: [String: Any] = [
                "version": 1, "queries": main.queries, "categories": main.categories, "accuracy": main.accuracy,
                "stderr": main.standardError, "accuracy_per_category": main.accuracyPerCategory,
                "stderr_per_category": main.standardErrorPerCategory, "method": method.rawValue,
                "baseline_center": centre.accuracy, "baseline_center_per_category": centre.accuracyPerCategory,
                "target": target, "feature_map": models.featureMap.rawValue, "tolerance": tolerance,
                "methods": Dictionary(uniqueKeysWithValues: evaluated.map { ($0.rawValue, tallies[$0]!.accuracy) }),
                "method_stats": Dictionary(uniqueKeysWithValues: evaluated.map { ($0.rawValue, stats(tallies[$0]!)) }),
                "per_query": outcomes,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("pointing game: \(main.queries) queries in \(main.categories) categories, target \(target), "
                  + "map \(models.featureMap.rawValue), tolerance \(tolerance) px at the original size")
            print("  method     per query        per category")
            func row(_ name: String, _ t: PointingGame.Tally) {
                print("  " + name.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + String(format: "  %.3f ± %.3f    %.3f ± %.3f", t.accuracy, t.standardError,
                               t.accuracyPerCategory, t.standardErrorPerCategory))
            }
            for m in evaluated where m != .centre { row(m.rawValue, tallies[m]!) }
            row("centre", centre)
            stderrLine(String(format: "%.1f s", Date().timeIntervalSince(started)))
        }
    }
}
