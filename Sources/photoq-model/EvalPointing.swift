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
            saliency maximum lies within --tolerance pixels of a box of that category. The centre \
            baseline always points at the photo's centre.
            """)

    @Option(help: "COCO-format instances JSON (images, annotations with bbox, categories).")
    var instances: String

    @Option(help: "Folder holding the photos named in the instances file.")
    var images: String

    @Option(help: "Hit tolerance in photo pixels.")
    var tolerance = PointingGame.defaultTolerance

    @Option(help: "Method reported as \"accuracy\" in JSON: eb, cmwp or gradient.")
    var method: ExplanationMethod = .eb

    @Option(help: "Evaluate at most this many queries (0: all).")
    var limit = 0

    @Flag(help: "Print one JSON document.")
    var json = false

    @OptionGroup var models: ExplainModelOptions

    func run() throws {
        let game = try PointingGame(instancesPath: instances)
        // Without a scorer, name the object through ImageNet classes, as Zhang et al.'s game does.
        let (explainer, target) = try models.makeExplainer(fallback: .queryClasses)
        var queries = game.queries
        if limit > 0 { queries = Array(queries.prefix(limit)) }
        var hits = Dictionary(uniqueKeysWithValues: ExplanationMethod.allCases.map { ($0, 0) })
        var centreHits = 0, evaluated = 0
        var cached: (name: String, pass: Explainer.Forward, width: Int, height: Int)?
        let started = Date()
        for query in queries {
            if cached?.name != query.fileName {
                let photo = try ImageDecoder().decode(path: images + "/" + query.fileName).image
                let input = networkInput(photo, size: EfficientNetLite0.imageSize, transform: .squash)
                cached = (query.fileName, try explainer.forward(input: input), photo.width, photo.height)
            }
            guard let current = cached else { continue }
            evaluated += 1
            for m in ExplanationMethod.allCases {
                let map = try explainer.explain(current.pass, query: query.category, method: m).map
                let (cx, cy) = map.argmax
                let x = (Double(cx) + 0.5) * Double(current.width) / Double(map.width)
                let y = (Double(cy) + 0.5) * Double(current.height) / Double(map.height)
                if PointingGame.isHit(x: x, y: y, boxes: query.boxes, tolerance: tolerance) { hits[m, default: 0] += 1 }
            }
            if PointingGame.isHit(x: Double(current.width) / 2, y: Double(current.height) / 2,
                                  boxes: query.boxes, tolerance: tolerance) { centreHits += 1 }
        }
        let n = Double(max(evaluated, 1))
        let accuracy = { (m: ExplanationMethod) in Double(hits[m] ?? 0) / n }
        if json {
            let object: [String: Any] = [
                "version": 1, "queries": evaluated, "accuracy": accuracy(method), "method": method.rawValue,
                "baseline_center": Double(centreHits) / n, "target": target,
                "feature_map": models.featureMap.rawValue, "tolerance": tolerance,
                "methods": Dictionary(uniqueKeysWithValues: ExplanationMethod.allCases.map { ($0.rawValue, accuracy($0)) }),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("pointing game: \(evaluated) queries, target \(target), map \(models.featureMap.rawValue), tolerance \(tolerance) px")
            func row(_ name: String, _ value: Double) {
                print("  " + name.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: "%.3f", value))
            }
            for m in ExplanationMethod.allCases { row(m.rawValue, accuracy(m)) }
            row("centre", Double(centreHits) / n)
            stderrLine(String(format: "%.1f s", Date().timeIntervalSince(started)))
        }
    }
}
