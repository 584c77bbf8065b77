import ModelFormat

/// Which backbone a trained model reads, recorded in its metadata:
/// `backbone_file` (absent: EfficientNet-Lite0's file) and
/// `backbone_image_size` (absent: the backbone's own input side). Every
/// model fed by one forward pass (the joint space, the tagger, the scorers)
/// must name the same one.
public struct BackboneChoice: Equatable, Sendable, CustomStringConvertible {
    public static let fileKey = "backbone_file"
    public static let imageSizeKey = "backbone_image_size"
    public static let standard = BackboneChoice()

    /// A file name in the model directory.
    public let file: String
    public let imageSize: Int?

    public init(file: String = ModelPaths.backbone, imageSize: Int? = nil) {
        self.file = file
        self.imageSize = imageSize
    }

    /// Reads the choice from a model file's metadata; `path` names the file in errors.
    public init(metadata: [String: String], path: String) throws {
        let file = metadata[Self.fileKey] ?? ModelPaths.backbone
        guard !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
            throw WeightFileError.malformed(path: path, reason: "\(Self.fileKey) \"\(file)\" is not a file name")
        }
        var size: Int?
        if let text = metadata[Self.imageSizeKey] {
            guard let side = Int(text), (32...1024).contains(side) else {
                throw WeightFileError.malformed(path: path, reason: "\(Self.imageSizeKey) \"\(text)\" is not a size in 32…1024")
            }
            size = side
        }
        self.init(file: file, imageSize: size)
    }

    /// The keys to record for a model trained on `network` loaded from `file`
    /// (none for Lite0 at its own size, so older files read the same).
    public static func metadata(file: String, network: EfficientNetLite, sizeOverridden: Bool) -> [String: String] {
        var keys: [String: String] = [:]
        if file != ModelPaths.backbone { keys[fileKey] = file }
        if sizeOverridden { keys[imageSizeKey] = String(network.imageSize) }
        return keys
    }

    /// The network, memory-mapped from `modelDirectory`.
    public func load(modelDirectory: String? = nil) throws -> EfficientNetLite {
        try EfficientNetLite(weights: WeightFile(path: ModelPaths.model(file, in: modelDirectory)), imageSize: imageSize)
    }

    public var description: String { file + (imageSize.map { " at \($0) px" } ?? "") }
}
