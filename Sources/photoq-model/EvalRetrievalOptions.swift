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

    var featureCache: FeatureCache { FeatureCache(directory: cache) }

    /// The pretrained networks; `flip` (a joint model trained on flip-averaged
    /// features) turns on flip averaging as `--flip-average` does.
    func networks(flip: Bool = false) throws -> PretrainedNetworks {
        try PretrainedNetworks(modelDirectory: modelDir, flipAverage: flipAverage || flip)
    }

    func bridgeFile() throws -> WeightFile {
        let path = ModelPaths.model(JointModelFiles.bridge, in: modelDir)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no zero-shot bridge at \(path); run `photoq-model build-bridge` first")
        }
        return try WeightFile(path: path)
    }
}

/// Prints to stderr (stdout carries results only).
func stderrLine(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
