import Model

/// The tagger's confidence cutoff: after a photo's first tag, tags whose
/// step probability is below it are not listed. Chosen on the dev tuning
/// half as the highest threshold that still keeps `keepCorrect` of the
/// correct tags after the first (those its captions mention): out of the
/// training domain the ranker is less sure, so its junk is cut, while on
/// photos like the training ones nearly every right tag stays.
public enum TagCutoff {
    public static let keepCorrect = 0.9

    /// lists: each photo's greedy list (tag, score); truth: its tags.
    public static func choose(lists: [[(tag: Int, score: Float)]], truth: [[Int]], keepCorrect: Double = keepCorrect) -> Float {
        var correct: [Float] = []
        for (list, tags) in zip(lists, truth) {
            let wanted = Set(tags)
            for entry in list.dropFirst() where wanted.contains(entry.tag) { correct.append(entry.score) }
        }
        guard !correct.isEmpty else { return 0 }
        correct.sort(by: >)
        // The lowest score among the best keepCorrect of them.
        let kept = min(correct.count, max(1, Int((Double(correct.count) * keepCorrect).rounded(.up))))
        return correct[kept - 1]
    }

    /// What the cutoff leaves: mean tags per photo, the fraction of them that
    /// are right, and the fraction of the lists' right tags kept.
    public static func effect(lists: [[(tag: Int, score: Float)]], truth: [[Int]], cutoff: Float?)
        -> (tagsPerPhoto: Double, precision: Double, correctKept: Double) {
        var listed = 0, right = 0, rightBefore = 0
        for (list, tags) in zip(lists, truth) {
            let wanted = Set(tags)
            let kept = Tagger.cut(list, below: cutoff)
            listed += kept.count
            right += kept.filter { wanted.contains($0.tag) }.count
            rightBefore += list.filter { wanted.contains($0.tag) }.count
        }
        return (Double(listed) / Double(max(lists.count, 1)), Double(right) / Double(max(listed, 1)),
                Double(right) / Double(max(rightBefore, 1)))
    }
}
