import Client
import FoundationEssentials
import Imaging
import Model
import Synchronization

/// `/api/explain`: the same computation as `photoq --explain` (the default
/// method for the installed models, on the upright photo and its tiles),
/// returning the map and the word scores instead of writing a file. Kept
/// apart so it can follow the explain internals as they change.
final class PhotoExplanation: Sendable {
    private let setup: ExplainerSetup
    /// Loaded on the first explain (the models take seconds and most visits
    /// never ask "why?"); the lock also runs explains one at a time, bounding memory.
    private let loaded = Mutex<(explainer: Explainer, target: String)?>(nil)
    /// Longest side of the map image: smooth enough under the photo, small on the wire.
    static let mapSide = 512

    init(modelDirectory: String) {
        setup = ExplainerSetup(modelDirectory: modelDirectory)
    }

    func explain(id: UInt64, path: String, query: String?) throws(WebError) -> ExplainDocument {
        // Twice the network's side: the default map also reads the photo's 2×2 tiles.
        let photo = try PhotoImages.decode(path: path, side: 2 * EfficientNetLite.gridInputSize)
        do {
            return try loaded.withLock { loaded in
                if loaded == nil { loaded = try setup.makeExplainer() }
                let (explainer, target) = loaded!
                let method = ExplanationMethod.defaultMethod(for: explainer)
                let tiles = networkInputTiles(photo, side: explainer.tileSide, overlapping: explainer.overlapsTiles,
                                      mirrored: explainer.flipAverage)
                let pass = try explainer.forward(input: networkInput(photo, size: EfficientNetLite.gridInputSize, transform: .squash),
                                                 tiles: tiles.tiles, mirroredTiles: tiles.mirrored,
                                                 keepActivations: method.walksTheBackbone)
                let text = try query ?? setup.topClassName(pass.logits)
                let explanation = try explainer.explain(pass, query: text, method: method)
                let map = try Self.mapImage(explanation.map, photoWidth: photo.width, photoHeight: photo.height)
                let words = try explanation.words.indices.map { i in
                    let word = explanation.words[i]
                    let wordMap = try explanation.word(word).map {
                        try Self.mapImage($0.map, photoWidth: photo.width, photoHeight: photo.height)
                    }
                    return ExplainDocument.Word(word: word, score: explanation.wordScores[i], map: wordMap)
                }
                return ExplainDocument(id: id, query: text, target: target, score: explanation.score,
                                       map: map, words: words)
            }
        } catch let missing as MissingModelError {
            throw WebError(.serviceUnavailable, missing.description)
        } catch {
            throw WebError(.internalServerError, "cannot explain \(path): \(error)")
        }
    }

    /// The saliency alone, coloured as `HeatMap` colours it, at the photo's
    /// aspect ratio, as a PNG data: URL (the page's CSP allows data: images).
    static func mapImage(_ map: SaliencyMap, photoWidth: Int, photoHeight: Int) throws -> String {
        let scale = Double(mapSide) / Double(max(photoWidth, photoHeight))
        let width = max(1, Int((Double(photoWidth) * scale).rounded()))
        let height = max(1, Int((Double(photoHeight) * scale).rounded()))
        let peak = map.values.max() ?? 0
        let heat = try upsampleBilinear(map.values.map { peak > 0 ? max($0, 0) / peak : 0 },
                                        gridWidth: map.width, gridHeight: map.height, width: width, height: height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for (i, value) in heat.enumerated() {
            (pixels[i * 3], pixels[i * 3 + 1], pixels[i * 3 + 2]) = HeatMapColor.color(value)
        }
        let png = try PNGEncoder.encode(try RGBImage(width: width, height: height, pixels: pixels))
        return "data:image/png;base64," + Data(png).base64EncodedString()
    }
}
