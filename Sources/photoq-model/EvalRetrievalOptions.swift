import ArgumentParser
import Foundation
import Model
import ModelFormat
import Training

/// Options shared by the joint-space commands (train embed, eval retrieval).
struct JointDataOptions: ParsableArguments {
    @Option(name: [.customLong("model-dir"), .customLong("models")],
            help: "Model directory (default $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).")
    var modelDir: String?

    @Option(help: "Feature cache directory (default $XDG_CACHE_HOME/photoq/features).")
    var cache: String?

    @Option(help: "Threads for feature extraction.")
    var threads = 2

    @Flag(help: "Average each photo's backbone output with its mirror image's (flip test-time augmentation).")
    var flipAverage = false

    @Option(help: "Backbone: lite0, lite1 or lite2 (default: the joint model's, else lite0).")
    var backbone: String?

    @Option(help: "Run the backbone at this input side instead of its own (e.g. 224 for a 7×7 grid).")
    var backboneSize: Int?

    var featureCache: FeatureCache { FeatureCache(directory: cache) }

    func validate() throws {
        if let backbone { _ = try backboneFile(backbone) }
        if let backboneSize, !(32...1024).contains(backboneSize) { throw ValidationError("--backbone-size must be 32…1024") }
    }

    /// The pretrained networks; `flip` (a joint model trained on flip-averaged
    /// features) turns on flip averaging as `--flip-average` does, and a joint
    /// model's recorded backbone is the default one.
    func networks(flip: Bool = false, joint: JointModel? = nil) throws -> PretrainedNetworks {
        let file = try backbone.map(backboneFile) ?? joint?.backbone.file ?? ModelPaths.backbone
        return try PretrainedNetworks(modelDirectory: modelDir, flipAverage: flipAverage || flip, backboneFile: file,
                                      imageSize: backboneSize ?? (backbone == nil ? joint?.backbone.imageSize : nil))
    }

    func bridgeFile() throws -> WeightFile {
        let path = ModelPaths.model(JointModelFiles.bridge, in: modelDir)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no zero-shot bridge at \(path); run `photoq-model build-bridge` first")
        }
        return try WeightFile(path: path)
    }
}

/// The weight file of a `--backbone` name (lite0, lite1, lite2).
func backboneFile(_ name: String) throws -> String {
    guard let file = ModelPaths.backbones[name] else {
        throw ValidationError("--backbone must be one of \(ModelPaths.backbones.keys.sorted().joined(separator: ", "))")
    }
    return file
}

/// Prints to stderr (stdout carries results only).
func stderrLine(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
