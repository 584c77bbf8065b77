import Foundation
import ModelFormat

/// The tagger's weight file: the ranker, its vocabulary (in the metadata, so
/// ids and names travel together) and, for `eval tags`, the two baselines it
/// was measured against, trained on the same lists (tensors under
/// `baseline.`; the daemon never reads them).
public struct TaggerFile: Sendable {
    public static let modelFormat = "lstm-tag-ranker"
    /// The installed default tagger, in the model directory.
    public static let defaultFileName = "tagger.safetensors"
    /// Metadata key of the confidence cutoff `Tagger` applies.
    public static let cutoffKey = "tag_cutoff"
    static let naivePrefix = "baseline.naive_rnn."
    static let linearPrefix = "baseline."

    public var parameters: TagParameters
    /// tags[i] is the name of tag id i.
    public var tags: [String]
    public var naiveRNN: TagParameters?
    public var linear: TagLinearClassifier?
    public var metadata: [String: String]

    public init(parameters: TagParameters, tags: [String], naiveRNN: TagParameters? = nil,
                linear: TagLinearClassifier? = nil, metadata: [String: String] = [:]) {
        precondition(tags.count == parameters.shape.tagCount, "TaggerFile: \(tags.count) names for \(parameters.shape.tagCount) tags")
        self.parameters = parameters
        self.tags = tags
        self.naiveRNN = naiveRNN
        self.linear = linear
        self.metadata = metadata
    }

    /// With `halfPrecision` the ranker's tensors are stored as float16 (half
    /// the file; the baselines stay float32): what is evaluated is what is
    /// loaded, so measure the file written.
    public func save(to path: String, modelID: String, halfPrecision: Bool = false) throws {
        var meta = metadata
        let shape = parameters.shape
        meta["model_id"] = modelID
        meta["architecture"] = Self.modelFormat
        meta["feature_size"] = String(shape.featureSize)
        meta["input_size"] = String(shape.inputSize)
        meta["hidden_size"] = String(shape.hiddenSize)
        meta["image_input"] = parameters.imageInput.rawValue
        meta["image_to_output"] = parameters.imageToOutput ? "true" : "false"
        meta["direct_source"] = parameters.directSource.rawValue
        meta["cells"] = String(shape.cells)
        meta["attention"] = parameters.attention ? "grid" : "none"
        meta["input"] = shape.cells > 1 ? "head map (K,F), cell-major" : "pooled feature (F)"
        meta["gate_order"] = "i,f,g,o"
        meta["end_token"] = "last softmax output"
        meta["tags"] = String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
        meta["weights"] = halfPrecision ? "float16" : "float32"
        if halfPrecision, let large = parameters.tensors.joined().first(where: { !(abs($0) <= Float(Float16.greatestFiniteMagnitude)) }) {
            throw TagError.badModel(path: path, reason: "weight \(large) does not fit float16; save it without half precision")
        }
        var writer = WeightFileWriter(metadata: meta)
        func add(_ p: TagParameters, prefix: String) {
            for (name, (tensorShape, values)) in zip(p.tensorNames, zip(p.tensorShapes, p.tensors)) {
                if halfPrecision && prefix.isEmpty {
                    writer.add(prefix + name, shape: tensorShape, halfPrecision: values)
                } else {
                    writer.add(prefix + name, shape: tensorShape, values: values)
                }
            }
        }
        add(parameters, prefix: "")
        if let naiveRNN { add(naiveRNN, prefix: Self.naivePrefix) }
        if let linear {
            writer.add(Self.linearPrefix + TagLinearClassifier.names[0], shape: [linear.tagCount, linear.featureSize], values: linear.weight)
            writer.add(Self.linearPrefix + TagLinearClassifier.names[1], shape: [linear.tagCount], values: linear.bias)
        }
        try writer.write(to: path)
    }

    /// Reads a file written by `save`; baselines are read when present.
    public static func load(from path: String) throws -> TaggerFile {
        let file: WeightFile
        do { file = try WeightFile(path: path) } catch { throw TagError.badModel(path: path, reason: "\(error)") }
        guard file.metadata["architecture"] == modelFormat else {
            throw TagError.badModel(path: path, reason: "architecture is \(file.metadata["architecture"] ?? "missing"), expected \(modelFormat)")
        }
        func size(_ key: String) throws -> Int {
            guard let value = file.metadata[key].flatMap(Int.init), value > 0 else {
                throw TagError.badModel(path: path, reason: "metadata \(key) is missing or invalid")
            }
            return value
        }
        guard let list = file.metadata["tags"], let tags = try? JSONDecoder().decode([String].self, from: Data(list.utf8)),
              !tags.isEmpty else {
            throw TagError.badModel(path: path, reason: "metadata tags is missing or not a JSON list of names")
        }
        guard let imageInput = TagImageInput(rawValue: file.metadata["image_input"] ?? "") else {
            throw TagError.badModel(path: path, reason: "metadata image_input is \(file.metadata["image_input"] ?? "missing")")
        }
        // Files from before the direct image path have no such key.
        let imageToOutput: Bool
        switch file.metadata["image_to_output"] {
        case nil, "false": imageToOutput = false
        case "true": imageToOutput = true
        case let other?: throw TagError.badModel(path: path, reason: "metadata image_to_output is \(other), expected true or false")
        }
        // Files from before the grid-attended ranker read the pooled feature, S from it.
        guard let directSource = TagDirectSource(rawValue: file.metadata["direct_source"] ?? "feature") else {
            throw TagError.badModel(path: path, reason: "metadata direct_source is \(file.metadata["direct_source"] ?? ""), expected feature or projection")
        }
        let attention: Bool
        switch file.metadata["attention"] {
        case nil, "none": attention = false
        case "grid": attention = true
        case let other?: throw TagError.badModel(path: path, reason: "metadata attention is \(other), expected none or grid")
        }
        let cells = file.metadata["cells"] == nil ? 1 : try size("cells")
        let shape = TagShape(featureSize: try size("feature_size"), inputSize: try size("input_size"),
                             hiddenSize: try size("hidden_size"), tagCount: tags.count, cells: cells)
        func read(prefix: String, shape: TagShape, imageInput: TagImageInput, imageToOutput: Bool,
                  directSource: TagDirectSource = .feature, attention: Bool = false) throws -> TagParameters {
            var p = TagParameters(zerosLike: shape, imageInput: imageInput, imageToOutput: imageToOutput,
                                  directSource: directSource, attention: attention)
            do {
                p.tensors = try zip(p.tensorNames, p.tensorShapes).map { try file.floatArray(prefix + $0, shape: $1) }
            } catch { throw TagError.badModel(path: path, reason: "\(error)") }
            return p
        }
        let parameters = try read(prefix: "", shape: shape, imageInput: imageInput, imageToOutput: imageToOutput, directSource: directSource,
                                  attention: attention)
        // The naive RNN baseline sees the pooled image at its first step only, never at the output.
        var pooledShape = shape
        pooledShape.cells = 1
        let naive = file.entries[naivePrefix + TagParameters.names[0]] == nil
            ? nil : try read(prefix: naivePrefix, shape: pooledShape, imageInput: .firstStep, imageToOutput: false)
        var linear: TagLinearClassifier?
        if file.entries[linearPrefix + TagLinearClassifier.names[0]] != nil {
            var l = TagLinearClassifier(featureSize: shape.featureSize, tagCount: shape.tagCount)
            do {
                l.weight = try file.floatArray(linearPrefix + TagLinearClassifier.names[0], shape: [shape.tagCount, shape.featureSize])
                l.bias = try file.floatArray(linearPrefix + TagLinearClassifier.names[1], shape: [shape.tagCount])
            } catch { throw TagError.badModel(path: path, reason: "\(error)") }
            linear = l
        }
        return TaggerFile(parameters: parameters, tags: tags, naiveRNN: naive, linear: linear, metadata: file.metadata)
    }
}
