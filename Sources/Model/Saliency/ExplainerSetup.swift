import Foundation
import ModelFormat

/// Which score an explanation explains and where its models are: shared by
/// `photoq --explain`, `photoq-model explain` and `photoq-model eval pointing`
/// so that all three run the same computation on the same files.
public struct ExplainerSetup: Sendable {
    public enum TargetChoice: String, Sendable, CaseIterable {
        /// The fallback (the joint space, or the query's classes) if the bridge
        /// is installed, else the LSTM scorer if it is, else the top ImageNet class.
        case auto, scorer, joint, `class`
        /// The query matched to ImageNet class names, the object-naming signal of the pointing game.
        case queryClasses = "query-classes"
    }

    public var target: TargetChoice = .auto
    public var featureMap: Excitation.FeatureMap = .block14
    /// nil: `$PHOTOQ_MODEL_DIR` or ~/.local/share/photoq/models.
    public var modelDirectory: String?
    /// LSTM scorer weights (nil: lstm-scorer.safetensors in the model directory).
    public var scorerPath: String?
    public var classPrompt = "a photo of a {}"
    public var classCount = 5
    public var classTemperature: Float = 0.05

    public init(target: TargetChoice = .auto, featureMap: Excitation.FeatureMap = .block14,
                modelDirectory: String? = nil, scorerPath: String? = nil) {
        self.target = target
        self.featureMap = featureMap
        self.modelDirectory = modelDirectory
        self.scorerPath = scorerPath
    }

    /// The explainer and the name of the target it explains. Loads only the
    /// files the resolved target needs. `note` receives remarks for stderr.
    public func makeExplainer(fallback: TargetChoice = .joint,
                              note: (String) -> Void = { _ in }) throws -> (explainer: Explainer, target: String) {
        let scorerPath = scorerPath ?? ModelPaths.model(ScorerParameters.defaultFileName, in: modelDirectory)
        let bridgePath = ModelPaths.model(JointModelFiles.bridge, in: modelDirectory)
        let exists = FileManager.default.fileExists(atPath:)
        var choice = target
        if choice == .auto {
            // Explanations follow the words where query and photo meet cell by
            // cell, the joint space; the scorer sees only the pooled photo.
            choice = exists(bridgePath) ? fallback : exists(scorerPath) ? .scorer : .class
            if choice == .class {
                note("note: no LSTM scorer or zero-shot bridge installed; explaining the top ImageNet class")
            }
        }
        let resolved: ExplanationTarget
        // The backbone the explained model was trained on.
        var backboneChoice = BackboneChoice.standard
        switch choice {
        case .scorer:
            guard exists(scorerPath) else {
                throw MissingModelError(path: scorerPath, remedy: "train one with `photoq-model train scorer`")
            }
            let (parameters, metadata) = try ScorerParameters.load(from: scorerPath)
            backboneChoice = try BackboneChoice(metadata: metadata, path: scorerPath)
            resolved = .scorer(parameters, try WordVectors(directory: modelDirectory))
        case .joint:
            guard exists(bridgePath) else {
                throw MissingModelError(path: bridgePath, remedy: "run scripts/setup (or `photoq-model build-bridge`)")
            }
            let jointPath = ModelPaths.model(JointModelFiles.joint, in: modelDirectory)
            let weights = exists(jointPath) ? try WeightFile(path: jointPath) : nil
            let model = try JointModel(weights: weights, bridge: try WeightFile(path: bridgePath))
            backboneChoice = model.backbone
            resolved = .joint(model, try SentenceEncoder(modelDirectory: modelDirectory))
        case .queryClasses:
            guard exists(bridgePath) else {
                throw MissingModelError(path: bridgePath, remedy: "run scripts/setup (or `photoq-model build-bridge`)")
            }
            let bridge = try ZeroShotBridge(file: try WeightFile(path: bridgePath))
            resolved = .queryClasses(bridge, try SentenceEncoder(modelDirectory: modelDirectory), prompt: classPrompt,
                                     classes: classCount, temperature: classTemperature)
        case .class, .auto:
            resolved = .imagenetClass(nil)
        }
        let backbonePath = ModelPaths.model(backboneChoice.file, in: modelDirectory)
        guard exists(backbonePath) else {
            throw MissingModelError(path: backbonePath, remedy: "run scripts/setup (or scripts/convert-models)")
        }
        let backbone = try backboneChoice.load(modelDirectory: modelDirectory)
        // Maps, tiles and word maps are built on the 7×7 head map of a 224-pixel input.
        guard backbone.imageSize == EfficientNetLite.gridInputSize else {
            throw SaliencyError(.unsupportedMethod, "the \(choice.rawValue) model reads \(backboneChoice) (\(backbone.imageSize) px); explanations need a backbone run at \(EfficientNetLite.gridInputSize) px")
        }
        return (try Explainer(backbone: backbone, target: resolved, featureMap: featureMap), choice.rawValue)
    }

    /// The name of the most probable ImageNet class, the query when none is given.
    /// logits (1000)
    public func topClassName(_ logits: [Float]) throws -> String {
        let path = ModelPaths.model(ModelPaths.imagenetClasses, in: modelDirectory)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw MissingModelError(path: path, remedy: "run scripts/setup (or scripts/convert-models)")
        }
        let names = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let top = logits.indices.max { logits[$0] < logits[$1] } ?? 0
        return top < names.count ? names[top] : ""
    }
}

/// A model file an explanation needs is not installed.
public struct MissingModelError: Error, CustomStringConvertible, Sendable {
    public let path: String
    /// What the user can do about it.
    public let remedy: String

    public init(path: String, remedy: String) {
        self.path = path
        self.remedy = remedy
    }

    public var description: String { "model file \(path) is missing; \(remedy)" }
}
