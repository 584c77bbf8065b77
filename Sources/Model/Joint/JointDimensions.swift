/// Sizes of the joint space and its inputs.
/// D = joint dimension (the MiniLM sentence space), F = backbone feature
/// width (EfficientNet-Lite0 pooled features), K = ImageNet classes.
public enum JointDimensions {
    public static let joint = 384
    public static let feature = 1280
    public static let classes = 1000
}

public enum JointModelError: Error, CustomStringConvertible, Equatable {
    case wrongInputSize(what: String, expected: Int, actual: Int)
    case incompatibleModel(path: String, reason: String)

    public var description: String {
        switch self {
        case let .wrongInputSize(what, expected, actual):
            return "\(what) has \(actual) values, expected \(expected)"
        case let .incompatibleModel(path, reason):
            return "joint model \(path) cannot be used: \(reason) (retrain with `photoq-model train embed` or rebuild the bridge with `photoq-model build-bridge`)"
        }
    }
}

/// File names of the joint space's parts inside the model directory.
public enum JointModelFiles {
    /// Class text embeddings C (K,D), built by `photoq-model build-bridge`.
    public static let bridge = "imagenet-class-text.safetensors"
    /// The default trained model (W, c, A, d), installed from Models/default.
    public static let joint = "joint.safetensors"
}
