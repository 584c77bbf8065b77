import FoundationEssentials
import Glibc
import Imaging
import Model
import PhotoqProtocol

/// What `photoq --explain` was asked for.
public struct ExplainRequest: Sendable {
    /// An index id (resolved with photoqd's `get`) or the path of a JPEG (read directly).
    public var photo: String
    /// nil: the last search's text, else the photo's top ImageNet class name.
    public var query: String?
    /// .png for PNG, .jpg/.jpeg for JPEG; nil: a private file in
    /// $XDG_RUNTIME_DIR/photoq (else the cache folder).
    public var out: String?
    /// Write the strip of the whole query's map and one map per word.
    public var words = false
    /// Write this word's map instead of the whole query's.
    public var word: String?
    public var json: Bool
    public var gridSide: Int
    public var modelDirectory: String
    public var socketPath: String
    public var environment: [String: String]
    /// Also show the heat map inline with this protocol (text report only).
    public var preview: PreviewProtocol? = nil

    public init(photo: String, query: String?, out: String?, json: Bool, gridSide: Int = 14,
                words: Bool = false, word: String? = nil,
                modelDirectory: String, socketPath: String, environment: [String: String]) {
        self.photo = photo
        self.words = words
        self.word = word
        self.query = query
        self.out = out
        self.json = json
        self.gridSide = gridSide
        self.modelDirectory = modelDirectory
        self.socketPath = socketPath
        self.environment = environment
    }
}

/// `photoq --explain`: the same computation as `photoq-model explain` (the
/// default method in the joint space when installed, on the EXIF-oriented
/// photo squashed to the network input as the index does), for a photo named
/// by its index id.
public enum PhotoExplaining {
    /// The report for stdout (text or JSON); the heat map is written to the out file.
    public static func run(_ request: ExplainRequest) throws(ClientFailure) -> String {
        if let out = request.out {
            do { _ = try HeatMapOutput.format(forPath: out) } catch { throw ClientFailure(.usage, error.description) }
        }
        let (path, id) = try locate(request)
        let setup = ExplainerSetup(modelDirectory: request.modelDirectory)
        // Models load only here, after the photo is known to exist in the index.
        let (explainer, target) = try loadExplainer(setup)
        let photo: RGBImage
        do { photo = try ImageDecoder().decode(path: path).image } catch let error as ImageError {
            if case .unreadable = error { throw ClientFailure(.noInput, "cannot read the photo \(path): \(error)") }
            throw ClientFailure(.dataError, "cannot decode the photo \(path): \(error)")
        } catch {
            throw ClientFailure(.dataError, "cannot decode the photo \(path): \(error)")
        }
        let input = networkInput(photo, size: EfficientNetLite.gridInputSize, transform: .squash)
        let name = "explain-\(id.map(String.init) ?? "pid\(getpid())").jpg"
        let out = request.out ?? HeatMapOutput.defaultPath(name: name, environment: request.environment)
        do {
            let method = ExplanationMethod.defaultMethod(for: explainer)
            let tiles = networkInputTiles(photo, side: explainer.tileSide, overlapping: explainer.overlapsTiles,
                                      mirrored: explainer.flipAverage)
            let pass = try explainer.forward(input: input, tiles: tiles.tiles, mirroredTiles: tiles.mirrored,
                                             keepActivations: method.walksTheBackbone)
            let text = try request.query ?? LastQuery(environment: request.environment).load()
                ?? setup.topClassName(pass.logits)
            let explanation = try explainer.explain(pass, query: text, method: method)
            let picture = try pictureChoice(request, explanation)
            let report = ExplanationReport(image: path, id: id, query: text, target: target, explanation: explanation,
                                           photoWidth: photo.width, photoHeight: photo.height, out: out,
                                           gridSide: request.gridSide, picture: picture)
            let rendered = try render(photo, report)
            let bytes = try HeatMap.encode(rendered, forPath: out)
            do { try HeatMapOutput.write(bytes, to: out, createFolder: request.out == nil) } catch {
                throw ClientFailure(.software, error.description)
            }
            if request.json { return try report.json() }
            let inline = try request.preview.map {
                try String(decoding: PreviewRenderer(format: $0, store: .fromEnvironment(request.environment))
                    .render(heatMap: rendered, name: out), as: UTF8.self)
            }
            return report.text(color: ExplanationReport.useColor) + (inline.map { "\n" + $0 } ?? "")
        } catch let failure as ClientFailure {
            throw failure
        } catch let missing as MissingModelError {
            throw ClientFailure(.unavailableFeature, missing.description)
        } catch {
            throw ClientFailure(.software, "cannot explain \(path): \(error)")
        }
    }

    /// The photo's path and index id: an id asks photoqd, a path is read as is.
    private static func locate(_ request: ExplainRequest) throws(ClientFailure) -> (path: String, id: UInt64?) {
        if let id = UInt64(request.photo), !FileManager.default.fileExists(atPath: request.photo) {
            let record = try PhotoqClient(socketPath: request.socketPath).get(PhotoReference(id: id))
            guard FileManager.default.fileExists(atPath: record.path) else {
                throw ClientFailure(.noInput, "photo \(id) is indexed at \(record.path), but that file is gone")
            }
            return (record.path, id)
        }
        guard FileManager.default.fileExists(atPath: request.photo) else {
            throw ClientFailure(.noInput, "no photo \(request.photo): neither an index id nor an existing file")
        }
        return (request.photo, nil)
    }

    private static func loadExplainer(_ setup: ExplainerSetup) throws(ClientFailure) -> (Explainer, String) {
        do {
            let (explainer, target) = try setup.makeExplainer { note in
                _ = Array((note + "\n").utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            }
            return (explainer, target)
        } catch let missing as MissingModelError {
            throw ClientFailure(.unavailableFeature, missing.description)
        } catch {
            throw ClientFailure(.unavailableFeature,
                                "cannot load the explanation models from \(setup.modelDirectory ?? "the model directory"): \(error); run scripts/setup")
        }
    }

    /// The whole query's map, one word's (`--word`) or the strip of all (`--words`).
    private static func pictureChoice(_ request: ExplainRequest,
                                      _ explanation: Explanation) throws(ClientFailure) -> ExplanationReport.Picture {
        guard let word = request.word else { return request.words ? .strip : .combined }
        guard explanation.word(word) != nil else {
            let known = explanation.perWord.map(\.word).joined(separator: ", ")
            throw ClientFailure(.usage, known.isEmpty ? "this explanation has no per-word maps"
                                                      : "\(word) is not one of the query's words (\(known))")
        }
        return .word(word.lowercased())
    }

    /// The report's picture: one heat map, or labelled tiles side by side.
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
