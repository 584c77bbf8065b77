import Model

/// The generator behind `--seed`: SplitMix64, so a run depends only on its seed.
public typealias SeededGenerator = SplitMix64
