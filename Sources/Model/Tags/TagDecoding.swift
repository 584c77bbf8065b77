extension TagParameters {
    /// Greedy decoding without repeats: at step t the most probable tag not
    /// yet emitted, scored by its probability among those not yet emitted. With
    /// `stopAtEnd` a step whose best remaining choice is the end token ends
    /// the list; without it the end token is skipped so exactly `maxTags` come
    /// out (rankings judged at k = 1…10 need that many).
    /// features (B,F) → per image, up to maxTags (tag id, probability).
    public func decode(features: [Float], count b: Int, maxTags: Int, stopAtEnd: Bool) throws -> [[(tag: Int, score: Float)]] {
        let v = shape.outputSize
        let act = try forward(features: features, count: b, steps: maxTags)
        var lists = [[(tag: Int, score: Float)]](repeating: [], count: b)
        for s in 0..<b {
            var emitted = Set<Int>()
            for t in 0..<maxTags {
                let row = (t * b + s) * v
                let p = softmax(act.logits[row..<(row + v)], excluding: emitted)
                var best = -1
                for j in 0..<v where !emitted.contains(j) && (stopAtEnd || j != shape.endToken) {
                    if best < 0 || p[j] > p[best] { best = j }
                }
                if best < 0 || best == shape.endToken { break }
                emitted.insert(best)
                lists[s].append((best, p[best]))
            }
        }
        return lists
    }
}

/// How a ranking of k tags continues once the greedy list has reached the
/// end token (rankings judged at k = 1…10 need k tags, lists are shorter).
public enum TagRankingFill: String, Sendable, CaseIterable {
    /// Keep decoding greedily, skipping the end token.
    case continueDecoding = "continue"
    /// The remaining tags by their probability summed over the k steps.
    case summedProbability = "sum"
    /// The remaining tags by their probability summed over the steps up to
    /// the end token (all k if it never comes): the steps the ranker was
    /// trained to fill, not the ones past its list.
    case summedUntilEnd = "sum-to-end"
    /// Every tag by its probability summed over the k steps, the greedy
    /// order not kept: how much of the sequence the ranker gives each tag.
    case summedOnly = "sum-only"
    /// The remaining tags by their chance of being named at all: step t's
    /// probability weighted by the chance the list has not ended before t
    /// (Π_{u<t} (1 − p_u(end)) along the greedy list), summed over the k steps.
    case presence
}

extension TagParameters {
    /// The top `k` tag ids per image: the greedy list (without repeats) up to
    /// the end token, then continued by `fill`. features (B,F) → B lists of k.
    public func rank(features: [Float], count b: Int, k: Int, fill: TagRankingFill) throws -> [[Int]] {
        guard fill != .continueDecoding else {
            return try decode(features: features, count: b, maxTags: k, stopAtEnd: false).map { $0.map(\.tag) }
        }
        let v = shape.outputSize
        let act = try forward(features: features, count: b, steps: k)
        return (0..<b).map { s in
            let steps = (0..<k).map { t in act.logits[((t * b + s) * v)..<((t * b + s + 1) * v)] }
            return Self.rankedTags(stepLogits: steps, k: k, fill: fill, tagCount: shape.tagCount)
        }
    }

    /// One photo's top `k` tags from its step logits (k rows of V+1, the end
    /// token last): the greedy list without repeats up to the end token, then
    /// the remaining tags by `fill` (not `.continueDecoding`).
    public static func rankedTags(stepLogits: [ArraySlice<Float>], k: Int, fill: TagRankingFill, tagCount: Int) -> [Int] {
        let endToken = tagCount
        var emitted: [Int] = [], seen = Set<Int>(), ended = false
        var total = [Float](repeating: 0, count: tagCount + 1)
        var survival: Float = 1
        for row in stepLogits.prefix(k) {
            if ended && fill == .summedUntilEnd { break }
            let p = softmax(row, excluding: seen)
            let weight = fill == .presence ? survival : 1
            for j in total.indices { total[j] += weight * p[j] }
            survival *= 1 - p[endToken]
            if ended { continue }
            var best = -1
            for j in p.indices where !seen.contains(j) && (best < 0 || p[j] > p[best]) { best = j }
            if best == endToken { ended = true } else { emitted.append(best); seen.insert(best) }
        }
        if fill == .summedOnly { (emitted, seen) = ([], []) }
        let rest = (0..<tagCount).filter { !seen.contains($0) }.sorted { (total[$0], $1) > (total[$1], $0) }
        return Array((emitted + rest).prefix(k))
    }
}
