import FoundationEssentials
import Imaging
import Model
import ModelFormat
import PhotoqProtocol

/// `photoq --tags ID|PATH`: a photo's tags, most important first. An index
/// id or an indexed path asks photoqd (the tags stored at indexing time); a
/// file the index does not hold is tagged here, with the installed backbone
/// and tagger, as the daemon would.
public enum PhotoTags {
    /// The `--json` document: `{"version":1,"tags":[{"tag","score"}…]}`, best
    /// first; `tagged` false (with `note`) when the photo has no tags yet.
    public struct Document: Codable, Sendable {
        public var version = 1
        public var tags: [TagScore]
        public var tagged: Bool
        public var note: String?
    }

    public struct Outcome: Sendable {
        public var document: Document
        /// The tags as lines (TAG<TAB>SCORE), or nothing when untagged.
        public var lines: String {
            document.tags.map { $0.tag + "\t" + threeDecimals($0.score) + "\n" }.joined()
        }

        /// Scores are in [0, 1]; three decimals without Foundation's String(format:).
        private func threeDecimals(_ x: Float) -> String {
            let thousandths = Int((Double(min(max(x, 0), 1)) * 1000).rounded())
            let fraction = String(thousandths % 1000)
            return String(thousandths / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
        }
        public var json: [UInt8] { OutputFormat.encode(document) }
    }

    public static func run(photo: String, socketPath: String, modelDirectory: String) throws(ClientFailure) -> Outcome {
        if let id = UInt64(photo), !FileManager.default.fileExists(atPath: photo) {
            return outcome(try PhotoqClient(socketPath: socketPath).get(PhotoReference(id: id)))
        }
        guard FileManager.default.fileExists(atPath: photo) else {
            throw ClientFailure(.noInput, "no photo \(photo): neither an index id nor an existing file")
        }
        // An indexed photo keeps the tags it was given; only a stranger is computed here.
        if let client = try? PhotoqClient(socketPath: socketPath) {
            do throws(ClientFailure) {
                return outcome(try client.get(PhotoReference(path: photo)))
            } catch {
                if error.status != .noInput { throw error }  // not in the index: tag it here
            }
        }
        return Outcome(document: Document(tags: try computed(photo, modelDirectory: modelDirectory), tagged: true))
    }

    private static func outcome(_ record: PhotoRecordResult) -> Outcome {
        guard let tags = record.tags else {
            return Outcome(document: Document(tags: [], tagged: false, note:
                "photo \(record.id) has no tags yet: it was indexed without a tagger (the optional one is Models/optional/tagger.safetensors; photos indexed after it is installed in the model folder get tags)"))
        }
        return Outcome(document: Document(tags: tags, tagged: true))
    }

    /// The backbone's pooled feature (or head map) of the photo (decoded and squashed to the
    /// network input as the daemon does), then the tagger's greedy list.
    private static func computed(_ path: String, modelDirectory: String) throws(ClientFailure) -> [TagScore] {
        let taggerPath = modelDirectory + "/" + TaggerFile.defaultFileName
        guard FileManager.default.fileExists(atPath: taggerPath) else {
            throw ClientFailure(.unavailableFeature, "no tagger at \(taggerPath); the optional one is Models/optional/tagger.safetensors (copy it there to try it)")
        }
        do {
            let tagger = try Tagger(path: taggerPath)
            let network = try tagger.backbone.load(modelDirectory: modelDirectory)
            // The joint model's input transform, as the daemon reads it.
            let jointPath = modelDirectory + "/" + JointModelFiles.joint
            let transform = FileManager.default.fileExists(atPath: jointPath)
                ? try WeightFile(path: jointPath).metadata["transform"].flatMap(InputTransform.init(rawValue:)) ?? .squash : .squash
            let input = try ImageLoader.loadNetworkInput(path: path, size: network.imageSize, transform: transform)
            let out = try network.forward(input, batch: 1, workspace: EfficientNetWorkspace(), keepGrid: tagger.needsGrid)
            // A grid-attended tagger reads the head map, others the pooled feature.
            let taggerInput = tagger.needsGrid ? Array(out.grid(of: 0) ?? []) : Array(out.features(of: 0))
            return try tagger.tags(feature: taggerInput).map { TagScore(tag: $0.tag, score: $0.score) }
        } catch let error as ImageError {
            if case .unreadable = error { throw ClientFailure(.noInput, "cannot read the photo \(path): \(error)") }
            throw ClientFailure(.dataError, "cannot decode the photo \(path): \(error)")
        } catch {
            throw ClientFailure(.unavailableFeature, "cannot tag \(path): \(error)")
        }
    }
}
