import ArgumentParser

/// `photoq-model train …`: fit the joint space and the LSTM scorer on captioned photos.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train photoq's models on captioned photos.",
        subcommands: [
            TrainEmbed.self,
            TrainScorer.self,
            TrainTags.self,
        ])
}

/// `photoq-model eval …`: measure the models on captioned or boxed photos.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate photoq's models.",
        subcommands: [
            EvalRetrieval.self,
            EvalIdentify.self,
            EvalPointing.self,
            EvalAlignment.self,
            EvalTags.self,
        ])
}
