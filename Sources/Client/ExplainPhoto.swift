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
    /// .png for PNG, anything else JPEG; nil: a temporary file.
    public var out: String?
    public var json: Bool
    public var gridSide: Int
    public var modelDirectory: String
    public var socketPath: String
    public var environment: [String: String]
    /// Also show the heat map inline with this protocol (text report only).
    public var preview: PreviewProtocol? = nil

    public init(photo: String, query: String?, out: String?, json: Bool, gridSide: Int = 14,
                modelDirectory: String, socketPath: String, environment: [String: String]) {
        self.photo = photo
        self.query = query
        self.out = out
        self.json = json
        self.gridSide = gridSide
        self.modelDirectory = modelDirectory
        self.socketPath = socketPath
        self.environment = environment
    }
}

/// `photoq --explain`: the same computation as `photoq-model explain` (EB with the
/// best installed target, on the EXIF-oriented photo squashed to the network
/// input as the index does), for a photo named by its index id.
public enum PhotoExplaining {
    /// The report for stdout (text or JSON); the heat map is written to the out file.
    public static func run(_ request: ExplainRequest) throws(ClientFailure) -> String {
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
        let input = networkInput(photo, size: EfficientNetLite0.imageSize, transform: .squash)
        let out = request.out ?? temporaryOutput(id: id, environment: request.environment)
        do {
            let pass = try explainer.forward(input: input)
            let text = try request.query ?? LastQuery(environment: request.environment).load()
                ?? setup.topClassName(pass.logits)
            let explanation = try explainer.explain(pass, query: text, method: .eb)
            let rendered = try HeatMap.render(photo, grid: explanation.map.values,
                                              gridWidth: explanation.map.width, gridHeight: explanation.map.height)
            let bytes = try HeatMap.encode(rendered, forPath: out)
            guard FileManager.default.createFile(atPath: out, contents: Data(bytes)) else {
                throw ClientFailure(.software, "cannot write \(out) (does its folder exist and is it writable?)")
            }
            let report = ExplanationReport(image: path, id: id, query: text, target: target, explanation: explanation,
                                           photoWidth: photo.width, photoHeight: photo.height, out: out,
                                           gridSide: request.gridSide)
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

    /// `$TMPDIR/photoq-explain-ID.jpg` (the process id when the photo has no index id).
    private static func temporaryOutput(id: UInt64?, environment: [String: String]) -> String {
        let folder = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return folder + "/photoq-explain-\(id.map(String.init) ?? "pid\(getpid())").jpg"
    }
}
