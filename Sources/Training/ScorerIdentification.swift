/// Feng & Kim's identification protocol: two photos and the true caption of
/// the first; a method is right when it scores the first higher.
public struct IdentificationTrial: Sendable, Equatable {
    public var caption: Int
    public var photo: Int
    public var distractor: Int
}

/// One trial per usable caption. Random distractors are any other photo; hard
/// ones are drawn from the caption's `hardPool` nearest photos in the joint
/// space (nil when `hard` is requested but no neighbours were computed).
public func identificationTrials(_ data: ScorerTrainingData, hard: Bool, hardPool: Int = 5,
                                 seed: UInt64) -> [IdentificationTrial]? {
    if hard && data.hardNegatives.isEmpty { return nil }
    var rng = SeededGenerator(seed: seed)
    let n = data.photoCount
    guard n > 1 else { return [] }
    return data.usableCaptions.map { caption in
        let own = data.photoOfCaption[caption]
        var distractor: Int
        if hard, let pick = data.hardNegatives[caption].prefix(hardPool).randomElement(using: &rng) {
            distractor = pick
        } else {
            repeat { distractor = Int.random(in: 0..<n, using: &rng) } while distractor == own
        }
        return IdentificationTrial(caption: caption, photo: own, distractor: distractor)
    }
}

/// Share of trials where score(caption, photo) > score(caption, distractor);
/// ties count half. `score` returns both scores for one trial.
public func identificationAccuracy(_ trials: [IdentificationTrial],
                                   score: (IdentificationTrial) throws -> (photo: Float, distractor: Float)) rethrows -> Double {
    guard !trials.isEmpty else { return 0 }
    var correct = 0.0
    for trial in trials {
        let (a, b) = try score(trial)
        correct += a > b ? 1 : (a == b ? 0.5 : 0)
    }
    return correct / Double(trials.count)
}
