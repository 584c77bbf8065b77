import Foundation
import Imaging
import Index
import Model
import ModelFormat
import PhotoqProtocol

/// The real embedder: decode (any format `ImageDecoder` reads) → the joint model's
/// EfficientNet-Lite backbone (Lite0 unless it names another) → joint
/// space for photos, MiniLM → joint space for query texts.
///
/// Photos are decoded in parallel (`threads`), then the backbone runs once
/// over the whole batch (one GEMM per 1×1 conv for all images). `embed` is
/// called from the writer thread, and from a server worker for `--similar`
/// of a photo not in the index (the network's workspace is behind a lock);
/// `embedQuery` and `embedQueries` from the server's workers at the same
/// time, which is safe because the text path shares nothing mutable with the
/// image path or between calls.
public final class ModelEmbedder: PhotoEmbedder, @unchecked Sendable {
    public let modelID: String
    public var dimension: Int { joint.dimension }
    public let featureDimension = EfficientNetLite.featureCount
    private let network: EfficientNetLite
    private let joint: JointModel
    private let text: SentenceEncoder
    /// Ranks each photo's tags from its backbone feature (or head map); nil when
    /// `tagger.safetensors` is not installed (photos then carry no tags).
    private let tagger: Tagger?
    /// The second stage of text search; nil when `reranker.safetensors` is
    /// not installed or its policy is off. It needs every photo's cells.
    public var reranker: (any SearchReranker)? { alignmentReranker }
    private let alignmentReranker: AlignmentReranker?
    private let transform: InputTransform
    private let threads: Int
    private let workspaceLock = NSLock()
    private let workspace = EfficientNetWorkspace()
    /// One budget for all decode threads together: a batch of bombs costs
    /// what one does; `cancelDecoding` stops the decodes in flight.
    private let decoder: ImageDecoder
    /// Photos whose shorter side is below this many pixels (icons, tracking
    /// pixels) are skipped as too small: they match unrelated queries.
    public let minimumSide: Int
    /// From the joint model's metadata (`photoq-model calibrate --write`).
    public let relevanceCutoff: Float?
    /// Writes thumbnails from the decodes (`photoqd --thumbnails`); nil: none.
    public let thumbnails: IngestThumbnails?
    /// Where the weights were loaded from, and the files there this embedder
    /// reads (what `ModelSnapshots` keeps to answer queries after a model change).
    public let modelDirectory: String
    public let filesRead: [String]

    /// Loads (memory-maps) the backbone, the joint space and the sentence
    /// encoder from `modelDirectory`. The trained joint weights are optional:
    /// without them the zero-shot bridge alone maps photos into the space.
    /// `decodeMemoryBytes` replaces the standard decode budget's working
    /// memory (shared by all decode threads).
    public init(modelDirectory: String, threads: Int, decodeMemoryBytes: Int? = nil,
                minimumSide: Int = DaemonConfiguration.defaultMinimumSide,
                thumbnails: IngestThumbnails? = nil) throws(DaemonError) {
        self.minimumSide = max(0, minimumSide)
        self.thumbnails = thumbnails
        func path(_ name: String) -> String { modelDirectory + "/" + name }
        for required in [ModelPaths.sentenceEncoder, ModelPaths.sentenceVocabulary, JointModelFiles.bridge]
            where !FileManager.default.fileExists(atPath: path(required)) {
            throw DaemonError(.model, "model file \(path(required)) is missing; run scripts/convert-models and scripts/install-models (or set PHOTOQ_MODEL_DIR)")
        }
        let jointWeights: WeightFile?
        do {
            text = try SentenceEncoder(modelDirectory: modelDirectory)
            let jointPath = path(JointModelFiles.joint)
            jointWeights = FileManager.default.fileExists(atPath: jointPath) ? try WeightFile(path: jointPath) : nil
            joint = try JointModel(weights: jointWeights, bridge: WeightFile(path: path(JointModelFiles.bridge)))
        } catch {
            throw DaemonError(.model, "cannot load the models from \(modelDirectory): \(error)")
        }
        guard FileManager.default.fileExists(atPath: path(joint.backbone.file)) else {
            throw DaemonError(.model, "the joint model reads \(joint.backbone), and \(path(joint.backbone.file)) is missing; run scripts/convert-models")
        }
        do {
            network = try joint.backbone.load(modelDirectory: modelDirectory)
            transform = jointWeights?.metadata["transform"].flatMap(InputTransform.init(rawValue:)) ?? .squash
            relevanceCutoff = jointWeights?.metadata["relevance_cutoff"].flatMap(Float.init).flatMap { (-1...1).contains($0) ? $0 : nil }
            let taggerPath = path(TaggerFile.defaultFileName)
            tagger = FileManager.default.fileExists(atPath: taggerPath) ? try Tagger(path: taggerPath) : nil
            alignmentReranker = try AlignmentReranker(modelDirectory: modelDirectory, encoder: text, joint: joint,
                                             classifier: network.classifierWeights())
        } catch {
            throw DaemonError(.model, "cannot load the models from \(modelDirectory): \(error)")
        }
        // Cells, grid joint models and attended taggers are built on the 7×7 map of a 224-pixel input.
        let gridReaders = [joint.needsGrid ? "the grid joint model" : nil, tagger?.needsGrid == true ? "the attended tagger" : nil,
                           alignmentReranker != nil ? "the reranker's cells" : nil].compactMap { $0 }
        if network.headSide != EfficientNetLite.gridSide, !gridReaders.isEmpty {
            throw DaemonError(.model, "\(gridReaders.joined(separator: " and ")): need a 7×7 head map (224 px), and \(joint.backbone) at \(network.imageSize) px gives \(network.headSide)×\(network.headSide); train the joint model with --backbone-size 224, or remove what needs the grid")
        }
        // One forward pass feeds every model, so they must read the same backbone.
        if let tagger, tagger.backbone != joint.backbone {
            throw DaemonError(.model, "\(path(TaggerFile.defaultFileName)) was trained on \(tagger.backbone) features but the joint model reads \(joint.backbone); retrain it with `photoq-model train tags --backbone …` or remove it")
        }
        if let tagger, tagger.featureSize != EfficientNetLite.featureCount
            || (tagger.needsGrid && tagger.inputValues != BackboneOutput.gridCells * EfficientNetLite.featureCount) {
            throw DaemonError(.model, "the tagger reads \(tagger.inputValues)-value inputs, the backbone gives \(EfficientNetLite.featureCount) (pooled) or \(BackboneOutput.gridCells * EfficientNetLite.featureCount) (head map)")
        }
        guard text.dimension == joint.dimension else {
            throw DaemonError(.model, "the sentence encoder gives \(text.dimension)-d vectors but the joint space is \(joint.dimension)-d")
        }
        // Lite0 at its own size keeps the id it always had, so an upgrade does not re-embed.
        let backboneName = network.name + (joint.backbone.imageSize.map { "@\($0)" } ?? "")
        modelID = "\(joint.modelID)/\(backboneName)/\(transform.rawValue)\(joint.testTimeFlip ? "+flip" : "")"
            + (alignmentReranker.map { "+cells:\($0.id)" } ?? "")
        self.threads = max(1, threads)
        self.modelDirectory = modelDirectory
        let optional = [JointModelFiles.joint, TaggerFile.defaultFileName]
            + (alignmentReranker != nil ? [ScorerParameters.rerankerFileName, ModelPaths.wordVectors, ModelPaths.wordVocabulary] : [])
        filesRead = [ModelPaths.sentenceEncoder, ModelPaths.sentenceVocabulary, JointModelFiles.bridge, joint.backbone.file]
            + optional.filter { FileManager.default.fileExists(atPath: path($0)) }
        // Links are refused: the scanner does not follow them either, so a
        // link swapped in for a photo must not lead the daemon elsewhere.
        var budget = DecodeBudget.standard
        if let decodeMemoryBytes { budget.maximumWorkingBytes = decodeMemoryBytes }
        decoder = ImageDecoder(budget: budget, limiter: DecodeLimiter(capacity: budget.maximumWorkingBytes),
                               followsSymlinks: false)
    }

    public func cancelDecoding() { decoder.limiter?.cancel() }

    public func embed(imagesAt paths: [String]) -> [Result<PhotoEmbedding, any Error>] {
        let inputs = decode(paths)
        var results = inputs.map { input -> Result<PhotoEmbedding, any Error> in
            input.map { PhotoEmbedding(vector: [], feature: [], taken: $0.taken, format: $0.format) }
        }
        let good = inputs.indices.filter { if case .success = inputs[$0] { true } else { false } }
        guard !good.isEmpty else { return results }
        var batch: [Float] = []
        batch.reserveCapacity(good.count * network.inputCount)
        for i in good { if case .success(let x) = inputs[i] { batch += x.pixels } }
        do {
            // A grid joint model also needs the 7×7 head map; it picks its input itself.
            // The reranker's cells come from it too.
            let cellsNeedGrid = reranker != nil
            let (out, mirror) = try workspaceLock.withLock {
                let out = try network.forward(batch, batch: good.count, workspace: workspace,
                                              keepGrid: joint.needsGrid || tagger?.needsGrid == true || cellsNeedGrid)
                // A flip model also sees each photo's mirror image: a second
                // pass of the same size, so the workspace does not grow.
                guard joint.testTimeFlip else { return (out, nil as BackboneOutput?) }
                let mirrored = mirroredNetworkInput(batch, size: network.imageSize)
                return (out, try network.forward(mirrored, batch: good.count, workspace: workspace,
                                                 keepGrid: joint.needsGrid || cellsNeedGrid))
            }
            // Cells are taken from the view the joint vector sees (flip-averaged for a flip model).
            let viewed = mirror.map { BackboneOutput.averaged(out, mirror: $0) } ?? out
            // The stored feature (tags, reranking) is the photo's own; only
            // the joint vector averages the two views.
            let vectors = try joint.embedImages(viewed)
            let d = joint.dimension
            for (row, i) in good.enumerated() {
                let v = Array(vectors[row * d..<(row + 1) * d])
                guard v.allSatisfy(\.isFinite) else {
                    results[i] = .failure(DaemonError(.model, "the network produced a non-finite vector"))
                    continue
                }
                if case .success(var embedding) = results[i] {
                    (embedding.vector, embedding.feature) = (v, Array(out.features(of: row)))
                    if let tagger {
                        // A grid-attended tagger reads the head map, others the pooled feature.
                        let input = tagger.needsGrid ? out.grid(of: row).map(Array.init) : embedding.feature
                        guard let input else { throw DaemonError(.model, "the tagger needs the head map, the backbone kept none") }
                        embedding.tags = try tagger.tags(feature: input).map { PhotoTag(name: $0.tag, score: $0.score) }
                    }
                    if let reranker {
                        guard let grid = viewed.grid(of: row) else { throw DaemonError(.model, "the reranker needs the head map, the backbone kept none") }
                        embedding.cells = try reranker.cells(headMap: Array(grid))
                    }
                    results[i] = .success(embedding)
                }
            }
        } catch {
            for i in good { results[i] = .failure(error) }
        }
        return results
    }

    public func embedQuery(_ query: String) throws -> [Float] {
        // With a reranker, one encoder pass serves both stages.
        if let alignmentReranker { return alignmentReranker.embedQuery(query) }
        return joint.embedText(sentenceEmbedding: text.encode(query))
    }

    /// One encoder pass and one projection for all texts: several times the
    /// throughput of one call each when many queries arrive together.
    public func embedQueries(_ queries: [String]) throws -> [[Float]] {
        guard queries.count > 1 else { return try queries.map(embedQuery) }
        if let alignmentReranker { return alignmentReranker.embedQueries(queries) }
        let sentences = text.encode(batch: queries)
        let d = joint.dimension
        let projected = joint.embedTexts(sentenceEmbeddings: sentences.flatMap { $0 }, batch: queries.count)
        return (0..<queries.count).map { Array(projected[$0 * d..<($0 + 1) * d]) }
    }

    /// One decoded photo: the network's input and what the file says of itself.
    private struct DecodedInput {
        var pixels: [Float]
        var taken: CaptureTime?
        var format: String
    }

    // paths (N) → N × (3,S,S) inputs or decode errors, `threads` at a time.
    private func decode(_ paths: [String]) -> [Result<DecodedInput, any Error>] {
        let slots = ResultSlots(count: paths.count)
        let transform = self.transform
        let decoder = self.decoder
        let minimumSide = self.minimumSide
        let thumbnails = self.thumbnails
        let size = network.imageSize
        let workers = min(threads, paths.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for i in stride(from: worker, to: paths.count, by: workers) {
                slots.set(i, Result {
                    let target = transform.minimumDecodeSize(for: size)
                    let modified = thumbnails != nil && PathBytes.isPlain(paths[i]) ? IngestThumbnails.modified(paths[i]) : nil
                    // A name that is not UTF-8 is read by its bytes here.
                    let decoded = PathBytes.isPlain(paths[i])
                        ? try decoder.decode(path: paths[i], targetSize: target)
                        : try decoder.decode(data: FileSystem.readPhoto(paths[i], maximumSize: decoder.budget.maximumFileBytes),
                                             targetSize: target)
                    try PhotoTooSmall.check(decoded.originalSize, minimumSide: minimumSide)
                    if let modified {
                        thumbnails?.offer(decoded.image, path: paths[i], modified: modified,
                                          originalSize: decoded.originalSize, orientation: decoded.orientation)
                    }
                    return DecodedInput(pixels: networkInput(decoded.image, size: size, transform: transform),
                                        taken: decoded.taken.map(CaptureTime.init(_:)), format: decoded.format.recordName)
                })
            }
        }
        return slots.values
    }

    /// Each slot is written by exactly one worker through a raw buffer (no
    /// copy-on-write check on shared storage); read after all finished.
    private final class ResultSlots: @unchecked Sendable {
        private let slots: UnsafeMutableBufferPointer<Result<DecodedInput, any Error>>
        init(count: Int) {
            slots = .allocate(capacity: count)
            slots.initialize(repeating: .failure(CancellationError()))
        }
        deinit {
            _ = slots.deinitialize()
            slots.deallocate()
        }
        func set(_ i: Int, _ value: Result<DecodedInput, any Error>) { slots[i] = value }
        var values: [Result<DecodedInput, any Error>] { Array(slots) }
    }
}
