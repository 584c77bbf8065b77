#if canImport(Glibc)
import Glibc
#endif

/// Cross-entropy of the ordered tag lists under the step softmaxes.
/// logits (T,B,V+1); targets[b] = tag ids in order of importance, then the end
/// token is the target of the following step; steps past it carry no loss
/// (T ≥ longest list + 1). With `excludingListed` each step's softmax leaves
/// out the tags listed before it, as decoding without repeats does (the
/// list's Plackett–Luce likelihood): a tag that fills the photo need not be
/// pushed down at the steps after it was named. With `setSmoothing` λ > 0 a
/// tag step's target is (1 − λ) on the next tag and λ spread evenly over the
/// tags still to come, that one included: naming a later tag of the photo
/// early costs less than naming one it does not have (the end step keeps its
/// one-hot target). Returns the mean over sequences of the summed step
/// losses, −Σⱼ qⱼ log pⱼ, and ∂loss/∂logits = (p − q)/B (T,B,V+1).
public func orderedTagCrossEntropy(logits: [Float], targets: [[Int]], steps: Int, outputSize v: Int,
                                   endToken: Int, excludingListed: Bool = false,
                                   setSmoothing: Float = 0) -> (loss: Float, dLogits: [Float]) {
    let b = targets.count
    precondition(logits.count == steps * b * v, "orderedTagCrossEntropy: logits (\(logits.count)) vs (\(steps),\(b),\(v))")
    var dLogits = [Float](repeating: 0, count: logits.count)
    var loss: Double = 0
    for (s, list) in targets.enumerated() {
        precondition(list.count < steps, "orderedTagCrossEntropy: a list of \(list.count) needs \(list.count + 1) steps")
        var listed = Set<Int>()
        for t in 0...list.count {
            let target = t < list.count ? list[t] : endToken
            let row = (t * b + s) * v
            let probabilities = softmax(logits[row..<(row + v)], excluding: listed)
            var wanted = [(tag: target, weight: Float(1))]
            if setSmoothing > 0 && t < list.count {
                let still = list[t...].filter { !listed.contains($0) }
                wanted = [(target, 1 - setSmoothing)] + still.map { ($0, setSmoothing / Float(still.count)) }
            }
            for (tag, weight) in wanted {
                loss -= Double(weight) * Double(logf(max(probabilities[tag], 1e-30)))
            }
            for j in 0..<v { dLogits[row + j] = probabilities[j] / Float(b) }
            for (tag, weight) in wanted { dLogits[row + tag] -= weight / Float(b) }
            if excludingListed && t < list.count { listed.insert(target) }
        }
    }
    return (Float(loss / Double(max(b, 1))), dLogits)
}

/// Numerically stable softmax of one row.
public func softmax(_ row: ArraySlice<Float>) -> [Float] {
    let top = row.max() ?? 0
    var out = row.map { expf($0 - top) }
    let total = out.reduce(0, +)
    for j in out.indices { out[j] /= total }
    return out
}

/// Softmax of one row over the entries not in `excluded` (row offsets),
/// which get probability 0.
public func softmax(_ row: ArraySlice<Float>, excluding excluded: Set<Int>) -> [Float] {
    guard !excluded.isEmpty else { return softmax(row) }
    let base = row.startIndex
    var top = -Float.infinity
    for j in row.indices where !excluded.contains(j - base) { top = max(top, row[j]) }
    var out = [Float](repeating: 0, count: row.count)
    var total: Float = 0
    for j in row.indices where !excluded.contains(j - base) {
        out[j - base] = expf(row[j] - top)
        total += out[j - base]
    }
    if total > 0 { for j in out.indices { out[j] /= total } }
    return out
}
