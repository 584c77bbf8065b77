import Foundation
import Imaging
import Model
import ModelFormat

/// The pretrained networks feature extraction runs: EfficientNet-Lite0 for
/// photos, MiniLM for captions, with ids that key the feature cache.
public final class PretrainedNetworks: Sendable {
    public let backbone: EfficientNetLite
    public let backboneID: String
    /// What a model trained on these features records about its backbone.
    public let backboneMetadata: [String: String]
    public let sentenceEncoder: SentenceEncoder
    public let sentenceEncoderID: String
    public let transform: InputTransform
    /// Average each photo's pooled features and logits with its mirror's
    /// (flip test-time augmentation; twice the backbone work).
    public let flipAverage: Bool

    /// `backboneFile`: a file in the model directory (default Lite0's);
    /// `imageSize` overrides its input size.
    public init(modelDirectory: String? = nil, transform: InputTransform = .squash, flipAverage: Bool = false,
                backboneFile backboneName: String = ModelPaths.backbone, imageSize: Int? = nil) throws {
        let backboneFile = try WeightFile(path: ModelPaths.model(backboneName, in: modelDirectory))
        backbone = try EfficientNetLite(weights: backboneFile, imageSize: imageSize)
        backboneMetadata = BackboneChoice.metadata(file: backboneName, network: backbone, sizeOverridden: imageSize != nil)
        // The input size is part of the features' identity (224-pixel features keep the key they always had).
        let sizeKey = backbone.imageSize == EfficientNetLite.gridInputSize ? "" : "@\(backbone.imageSize)"
        backboneID = Self.identity(backboneFile, fallback: "efficientnet-lite0") + sizeKey
        let encoderFile = try WeightFile(path: ModelPaths.model(ModelPaths.sentenceEncoder, in: modelDirectory))
        sentenceEncoder = try SentenceEncoder(weights: encoderFile,
                                              vocabulary: ModelPaths.model(ModelPaths.sentenceVocabulary, in: modelDirectory))
        sentenceEncoderID = Self.identity(encoderFile, fallback: "minilm-l6") + sentenceEncoder.cacheKeySuffix
        self.transform = transform
        self.flipAverage = flipAverage
    }

    /// The cache key of the image transform: flip-averaged features are other features.
    var transformKey: String { transform.rawValue + (flipAverage ? "+flip" : "") }

    /// The file's model id plus its size: a reconverted model with other weights gets a new cache key.
    static func identity(_ file: WeightFile, fallback: String) -> String {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        return "\(file.metadata["model_id"] ?? file.metadata["model"] ?? fallback)#\(size)"
    }

    /// Backbone outputs of the set's photos (cached), and the set restricted to
    /// the photos that decoded. Unreadable photos are reported on stderr and skipped.
    public func imageFeatures(_ set: CaptionSet, imageDirectory: String, cache: FeatureCache,
                              threads: Int) throws -> (CaptionSet, ImageFeatures) {
        let features = try cache.imageFeatures(photos: set.photos, imageDirectory: imageDirectory,
                                               backboneID: backboneID, transform: transformKey) { photos in
            try extract(photos: photos, imageDirectory: imageDirectory, threads: threads)
        }
        let index = Dictionary(features.photos.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let kept = set.photos.indices.filter { index[set.photos[$0]] != nil }
        let aligned = CaptionSet(photos: kept.map { set.photos[$0] }, captions: kept.map { set.captions[$0] })
        let rows = features.rows(aligned.photos.map { index[$0]! })
        return (aligned, ImageFeatures(photos: aligned.photos, features: rows.features, logits: rows.logits,
                                       featureWidth: features.featureWidth, classCount: features.classCount))
    }

    private func extract(photos: [String], imageDirectory: String, threads: Int) throws -> ImageFeatures {
        let backbone = self.backbone, transform = self.transform, flipAverage = self.flipAverage
        let (outputs, failures) = try extractInParallel(count: photos.count, threads: threads, label: "photos") {
            let workspace = WorkspaceBox(EfficientNetWorkspace())
            return { i in
                let size = backbone.imageSize
                let input = try ImageLoader.loadNetworkInput(path: imageDirectory + "/" + photos[i],
                                                             size: size, transform: transform)
                var out = try backbone.forward(input, batch: 1, workspace: workspace.value)
                if flipAverage {
                    let mirror = try backbone.forward(mirroredNetworkInput(input, size: size), batch: 1,
                                                      workspace: workspace.value)
                    out = .averaged(out, mirror: mirror)
                }
                return (out.features, out.logits)
            }
        }
        for failure in failures.prefix(20) {
            FileHandle.standardError.write(Data("warning: skipping \(photos[failure.index]): \(failure.error)\n".utf8))
        }
        return ImageFeatures(photos: outputs.map { photos[$0.index] }, features: outputs.flatMap { $0.output.0 },
                             logits: outputs.flatMap { $0.output.1 },
                             featureWidth: EfficientNetLite.featureCount, classCount: EfficientNetLite.classCount)
    }

    /// The 7×7 head maps of an aligned set's photos (cached, memory-mapped),
    /// in the set's order. Runs the backbone again when not cached.
    public func gridFeatures(_ set: CaptionSet, imageDirectory: String, cache: FeatureCache,
                             threads: Int) throws -> GridFeatures {
        let backbone = self.backbone, transform = self.transform, flipAverage = self.flipAverage
        let grids = try cache.gridFeatures(photos: set.photos, imageDirectory: imageDirectory, backboneID: backboneID,
                                           transform: transformKey) { photos in
            let (outputs, failures) = try extractInParallel(count: photos.count, threads: threads, label: "photo grids") {
                let workspace = WorkspaceBox(EfficientNetWorkspace())
                return { i in
                    let input = try ImageLoader.loadNetworkInput(path: imageDirectory + "/" + photos[i],
                                                                 size: backbone.imageSize, transform: transform)
                    var out = try backbone.forward(input, batch: 1, workspace: workspace.value, keepGrid: true)
                    if flipAverage {
                        let mirror = try backbone.forward(mirroredNetworkInput(input, size: backbone.imageSize),
                                                          batch: 1, workspace: workspace.value, keepGrid: true)
                        out = .averaged(out, mirror: mirror)
                    }
                    return out.grid!.map { Float16($0) }
                }
            }
            for failure in failures.prefix(20) {
                FileHandle.standardError.write(Data("warning: skipping \(photos[failure.index]): \(failure.error)\n".utf8))
            }
            return (outputs.map { photos[$0.index] }, outputs.map(\.output), BackboneOutput.gridCells,
                    EfficientNetLite.featureCount)
        }
        return try grids.aligned(to: set.photos)
    }

    /// Embeddings (M,D) of `texts`, encoded in chunks of 64 on `threads` threads (not cached).
    public static func encodeInParallel(_ texts: [String], encoder: SentenceEncoder, threads: Int,
                                        label: String = "text batches") throws -> [Float] {
        try mapTextChunks(texts, threads: threads, label: label) { encoder.encode(batch: $0).flatMap { $0 } }
    }

    /// Sentence embeddings (M,D) of `texts` (cached), encoded in chunks on `threads` threads.
    public func sentenceEmbeddings(_ texts: [String], cache: FeatureCache, threads: Int) throws -> [Float] {
        let encoder = sentenceEncoder, dimension = encoder.dimension
        return try cache.sentenceEmbeddings(texts: texts, encoderID: sentenceEncoderID, dimension: dimension) { texts in
            try Self.encodeInParallel(texts, encoder: encoder, threads: threads, label: "caption batches")
        }
    }
}

/// A per-thread workspace handed to one worker closure only.
private final class WorkspaceBox: @unchecked Sendable {
    let value: EfficientNetWorkspace
    init(_ value: EfficientNetWorkspace) { self.value = value }
}

/// `body` over `texts` in chunks of 64 on `threads` threads, the results
/// joined in input order. Text encoding does not throw, so no chunk fails.
func mapTextChunks<T: Sendable>(_ texts: [String], threads: Int, label: String,
                                _ body: @escaping @Sendable ([String]) -> [T]) throws -> [T] {
    let chunk = 64
    let chunks = (texts.count + chunk - 1) / chunk
    let (outputs, failures) = try extractInParallel(count: chunks, threads: threads, label: label) {
        return { c in body(Array(texts[(c * chunk)..<min((c + 1) * chunk, texts.count)])) }
    }
    precondition(failures.isEmpty, "text encoding does not throw")
    return outputs.flatMap(\.output)
}
