import ArgumentParser

/// `photoq-model bench …`: speed measurements that print figures (never
/// timed unit tests). One subcommand per component.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the speed of photoq's components.",
        // One line per benchmark.
        subcommands: [
            BenchBackbone.self,
            BenchText.self,
            BenchScorer.self,
            BenchDecode.self,
            BenchIndex.self,
            BenchReembedding.self,
        ]
    )
}
