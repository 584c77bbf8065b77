import ArgumentParser
import Foundation
import Model
import ModelFormat

/// Which score `explain` and `eval pointing` explain, and how the models are found.
struct ExplainModelOptions: ParsableArguments {
    enum TargetChoice: String, ExpressibleByArgument, CaseIterable {
        /// The LSTM scorer if installed, else the joint space (explain) or the query's
        /// classes (eval pointing) if the bridge is, else the top ImageNet class.
        case auto, scorer, joint, `class`
        /// The query matched to ImageNet class names, the object-naming signal of the pointing game.
        case queryClasses = "query-classes"
    }

    @Option(help: "Score to explain: auto, scorer (the LSTM reranker), joint (θ·φ), query-classes (the ImageNet classes the query names) or class (the top ImageNet class).")
    var target: TargetChoice = .auto

    @Option(help: "Feature map the saliency is read on: block14 (14×14), head7 (7×7) or block28 (28×28).")
    var featureMap: Excitation.FeatureMap = .block14

    @Option(help: "Model directory (default $PHOTOQ_MODEL_DIR or ~/.local/share/photoq/models).")
    var modelDir: String?

    @Option(help: "LSTM scorer weights (default lstm-scorer.safetensors in the model directory).")
    var scorer: String?

    @Option(help: "How query-classes reads the query; {} stands for the query.")
    var classPrompt = "a photo of a {}"

    @Option(help: "How many best-matching ImageNet classes query-classes starts from.")
    var classCount = 5

    @Option(help: "Softmax temperature over the classes' cosine similarities to the query (query-classes).")
    var classTemperature: Float = 0.05

    func validate() throws {
        guard classCount >= 1 else { throw ValidationError("--class-count must be at least 1.") }
        guard classTemperature > 0 else { throw ValidationError("--class-temperature must be positive.") }
    }

    /// The explainer and the name of the target it explains. `auto` takes the
    /// LSTM scorer when installed, else `fallback` when the bridge is, else the top class.
    func makeExplainer(fallback: TargetChoice = .joint) throws -> (explainer: Explainer, target: String) {
        let backbone = try EfficientNetLite0(modelDirectory: modelDir)
        let scorerPath = scorer ?? ModelPaths.model(ScorerParameters.defaultFileName, in: modelDir)
        let bridgePath = ModelPaths.model(JointModelFiles.bridge, in: modelDir)
        var choice = target
        if choice == .auto {
            let exists = FileManager.default.fileExists(atPath:)
            choice = exists(scorerPath) ? .scorer : exists(bridgePath) ? fallback : .class
            if choice == .class {
                stderrLine("note: no LSTM scorer or zero-shot bridge installed; explaining the top ImageNet class")
            }
        }
        let resolved: ExplanationTarget
        switch choice {
        case .scorer:
            guard FileManager.default.fileExists(atPath: scorerPath) else {
                throw ValidationError("no LSTM scorer at \(scorerPath); train one with `photoq-model train scorer`")
            }
            let parameters = try ScorerParameters.load(from: scorerPath).parameters
            resolved = .scorer(parameters, try WordVectors(directory: modelDir))
        case .joint:
            guard FileManager.default.fileExists(atPath: bridgePath) else {
                throw ValidationError("no zero-shot bridge at \(bridgePath); run `photoq-model build-bridge` first")
            }
            let jointPath = ModelPaths.model(JointModelFiles.joint, in: modelDir)
            let weights = FileManager.default.fileExists(atPath: jointPath) ? try WeightFile(path: jointPath) : nil
            let model = try JointModel(weights: weights, bridge: try WeightFile(path: bridgePath))
            resolved = .joint(model, try SentenceEncoder(modelDirectory: modelDir))
        case .queryClasses:
            guard FileManager.default.fileExists(atPath: bridgePath) else {
                throw ValidationError("no zero-shot bridge at \(bridgePath); run `photoq-model build-bridge` first")
            }
            let bridge = try ZeroShotBridge(file: try WeightFile(path: bridgePath))
            resolved = .queryClasses(bridge, try SentenceEncoder(modelDirectory: modelDir), prompt: classPrompt,
                                     classes: classCount, temperature: classTemperature)
        case .class, .auto:
            resolved = .imagenetClass(nil)
        }
        return (try Explainer(backbone: backbone, target: resolved, featureMap: featureMap), choice.rawValue)
    }
}

extension Excitation.FeatureMap: ExpressibleByArgument {}
extension ExplanationMethod: ExpressibleByArgument {}
