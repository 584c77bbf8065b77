import ArgumentParser
import BLASRuntime

/// photoq-model: the model tools (classify, train, evaluate, benchmark).
@main
struct PhotoqModelTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "photoq-model",
        abstract: "Classify, train, evaluate and benchmark photoq's models.",
        // One line per subcommand.
        subcommands: [
            Classify.self,
            Bench.self,
            Explain.self,
            Eval.self,
            Train.self,
            BuildBridge.self,
            EmbedText.self,
            Calibrate.self,
        ]
    )

    /// Every model command multiplies matrices: on the kernels this CPU can run.
    static func main() {
        OpenBLASCore.restartWithBetterCoreIfNeeded()
        main(nil)
    }
}
