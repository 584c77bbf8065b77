import Foundation

/// Where installed models and the captioned data live. Set-up writes the
/// converted models to `modelDirectory`; every program reads them from there.
public enum ModelPaths {
    /// `$PHOTOQ_MODEL_DIR`, else `$XDG_DATA_HOME/photoq/models`, else
    /// `~/.local/share/photoq/models`.
    public static var modelDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["PHOTOQ_MODEL_DIR"], !dir.isEmpty { return dir }
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/photoq/models" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.local/share/photoq/models"
    }

    /// The captioned photos: `$PHOTOQ_DATA_DIR`, else `../shared/data` relative
    /// to the current directory (the layout of a checkout).
    public static var dataDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["PHOTOQ_DATA_DIR"], !dir.isEmpty { return dir }
        return FileManager.default.currentDirectoryPath + "/../shared/data"
    }

    public static func model(_ fileName: String, in directory: String? = nil) -> String {
        (directory ?? modelDirectory) + "/" + fileName
    }

    // File names inside the model directory.
    public static let backbone = "efficientnet-lite0.safetensors"
    /// The backbones set-up converts, by short name (`--backbone lite2`).
    public static let backbones = ["lite0": backbone, "lite1": "efficientnet-lite1.safetensors",
                                   "lite2": "efficientnet-lite2.safetensors"]
    public static let imagenetClasses = "imagenet-classes.txt"
    public static let sentenceEncoder = "minilm-l6.safetensors"
    public static let sentenceVocabulary = "minilm-vocab.txt"
    public static let wordVectors = "glove-50d.safetensors"
    public static let wordVocabulary = "glove-vocab.txt"
}
