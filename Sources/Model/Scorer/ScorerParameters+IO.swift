import Foundation
import ModelFormat

extension ScorerParameters {
    public static let modelFormat = "relu-lstm-scorer"
    /// The installed default scorer, in the model directory.
    public static let defaultFileName = "lstm-scorer.safetensors"
    /// The installed search reranker (a scorer with word alignment and a
    /// cell basis), apart from the one explanations run through.
    public static let rerankerFileName = "reranker.safetensors"

    /// Writes the parameters with their sizes and the ids of the model and of
    /// the word vocabulary it was trained with.
    /// `extraTensors` (name, shape, values) are stored beside the weights
    /// (a reranker's cell basis).
    public func save(to path: String, modelID: String, vocabularyID: String,
                     extraMetadata: [String: String] = [:], extraTensors: [(String, [Int], [Float])] = []) throws {
        var metadata = extraMetadata
        metadata["model_id"] = modelID
        metadata["architecture"] = Self.modelFormat
        metadata["vocabulary_id"] = vocabularyID
        metadata["feature_size"] = String(shape.featureSize)
        metadata["word_dimension"] = String(shape.wordDimension)
        metadata["hidden_size"] = String(shape.hiddenSize)
        metadata["gate_order"] = "i,f,g,o"
        var writer = WeightFileWriter(metadata: metadata)
        for (name, (tensorShape, values)) in zip(Self.names, zip(tensorShapes, tensors)) {
            writer.add(name, shape: tensorShape, values: values)
        }
        for (name, tensorShape, values) in extraTensors { writer.add(name, shape: tensorShape, values: values) }
        try writer.write(to: path)
    }

    /// Reads parameters written by `save`; returns them with the file's metadata.
    public static func load(from path: String) throws -> (parameters: ScorerParameters, metadata: [String: String]) {
        let file = try WeightFile(path: path)
        guard file.metadata["architecture"] == modelFormat else {
            throw ScorerError.badModel(path: path, reason: "architecture is \(file.metadata["architecture"] ?? "missing"), expected \(modelFormat)")
        }
        func size(_ key: String) throws -> Int {
            guard let value = file.metadata[key].flatMap(Int.init), value > 0 else {
                throw ScorerError.badModel(path: path, reason: "metadata \(key) is missing or invalid")
            }
            return value
        }
        let shape = ScorerShape(featureSize: try size("feature_size"), wordDimension: try size("word_dimension"),
                                hiddenSize: try size("hidden_size"))
        var parameters = ScorerParameters(zerosLike: shape)
        let shapes = parameters.tensorShapes
        parameters.tensors = try zip(names, shapes).map { name, tensorShape in
            try file.floats(name, shape: tensorShape).toArray()
        }
        return (parameters, file.metadata)
    }
}
