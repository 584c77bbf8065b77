import ArgumentParser
import Foundation
import Model

/// Which score `explain` and `eval pointing` explain, and how the models are found
/// (the flags for `ExplainerSetup`, which photoq --explain shares).
struct ExplainModelOptions: ParsableArguments {
    typealias TargetChoice = ExplainerSetup.TargetChoice

    @Option(help: "Score to explain: auto (the joint space when installed), scorer (the LSTM reranker), joint (θ·φ), query-classes (the ImageNet classes the query names) or class (the top ImageNet class).")
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

    @Option(help: "Joint space: a cell's score for the query: classes (default), both, cosine or direct.")
    var cellScore = CellWeighting().score

    @Option(help: "Joint space: how many ImageNet classes nearest the query the cells' class score reads it as.")
    var cellClassCount = CellWeighting().classCount

    @Option(help: "Joint space: softmax temperature over those classes' cosine similarities to the query.")
    var cellClassTemperature = CellWeighting().classTemperature

    @Option(help: "Joint space: softmax temperature over the cells' scores, in standard deviations.")
    var cellTemperature = CellWeighting().temperature

    @Option(help: "Joint space: subtract each cell's score for the mean class phrase first (true or false).")
    var cellContrast = CellWeighting().contrast

    @Option(help: "Joint space: add the whole photo's 7×7 cells to the tiles' 14×14 ones (true or false).")
    var cellMultiScale = CellWeighting().multiScale

    @Option(help: "Joint space: σ in cells of the Gaussian the cell map is smoothed with (0: none).")
    var cellSmoothing = CellWeighting().smoothing

    @Option(help: "Joint space: tiles per side for the finer cells (2 side by side or 3 overlapping: a 14×14 grid).")
    var tileSide = Explainer.defaultTileSide

    @Option(help: "Joint space: tiles overlap by half a tile when --tile-side is odd (true or false).")
    var tileOverlap: Bool?

    @Option(help: "Joint space: average each tile cell with its mirror image's (true or false).")
    var tileFlip = false

    @Option(help: "Joint space: how the query and each word are read; {} stands for the text.")
    var textPrompt = "a photo of a {}"

    func validate() throws {
        guard (1...4).contains(tileSide) else { throw ValidationError("--tile-side must be 1 to 4.") }
        guard tileOverlap != true || tileSide % 2 == 1 else { throw ValidationError("--tile-overlap needs an odd --tile-side.") }
        guard cellSmoothing >= 0 && cellSmoothing <= 10 else { throw ValidationError("--cell-smoothing must be 0 to 10.") }
        guard cellTemperature > 0 else { throw ValidationError("--cell-temperature must be positive.") }
        guard classCount >= 1 else { throw ValidationError("--class-count must be at least 1.") }
        guard classTemperature > 0 else { throw ValidationError("--class-temperature must be positive.") }
        guard (1...1000).contains(cellClassCount) else { throw ValidationError("--cell-class-count must be 1 to 1000.") }
        guard cellClassTemperature > 0 else { throw ValidationError("--cell-class-temperature must be positive.") }
    }

    var setup: ExplainerSetup {
        var setup = ExplainerSetup(target: target, featureMap: featureMap, modelDirectory: modelDir, scorerPath: scorer)
        setup.classPrompt = classPrompt
        setup.classCount = classCount
        setup.classTemperature = classTemperature
        return setup
    }

    /// The explainer and the name of the target it explains. `auto` takes the
    /// LSTM scorer when installed, else `fallback` when the bridge is, else the top class.
    func makeExplainer(fallback: TargetChoice = .joint) throws -> (explainer: Explainer, target: String) {
        do {
            var made = try setup.makeExplainer(fallback: fallback, note: stderrLine)
            made.explainer.cellWeighting = CellWeighting(score: cellScore, temperature: cellTemperature,
                                                         contrast: cellContrast, multiScale: cellMultiScale,
                                                         smoothing: cellSmoothing, classCount: cellClassCount,
                                                         classTemperature: cellClassTemperature)
            made.explainer.tileSide = tileSide
            made.explainer.flipAverage = tileFlip
            made.explainer.tileOverlap = tileOverlap ?? made.explainer.tileOverlap
            made.explainer.textPrompt = textPrompt
            return made
        } catch let missing as MissingModelError {
            throw ValidationError(missing.description)
        }
    }
}

extension ExplainerSetup.TargetChoice: ExpressibleByArgument {}
extension Excitation.FeatureMap: ExpressibleByArgument {}
extension CellScore: ExpressibleByArgument {}
extension ExplanationMethod: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}
