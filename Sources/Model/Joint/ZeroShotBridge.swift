import Foundation
import ModelFormat

/// The DeViSE/ConSE bridge from ImageNet classes to the sentence space: a
/// photo's bridge vector is normalise(Σ_{c ∈ top-T} p_c C_c), p = softmax of
/// the backbone's logits, C the class text embeddings. It gives text search
/// with no caption training and is where φ starts.
public struct ZeroShotBridge: Sendable {
    public static let tensorName = "class_text"
    /// C (K,D): unit-norm text embedding of each class.
    public let classText: [Float]
    public let classCount: Int
    public let dimension: Int
    public var topT: Int

    public init(classText: [Float], classCount: Int, dimension: Int, topT: Int) {
        precondition(classText.count == classCount * dimension && topT >= 1)
        self.classText = classText
        self.classCount = classCount
        self.dimension = dimension
        self.topT = min(topT, classCount)
    }

    /// Loads C from a bridge file written by `photoq-model build-bridge`.
    public init(file: WeightFile, topT: Int? = nil) throws {
        let view = try file.floats(Self.tensorName)
        guard view.shape.count == 2 else {
            throw JointModelError.incompatibleModel(path: file.path, reason: "\(Self.tensorName) has shape \(view.shape)")
        }
        let stored = file.metadata["top_t"].flatMap(Int.init) ?? 5
        self.init(classText: view.toArray(), classCount: view.shape[0], dimension: view.shape[1], topT: topT ?? stored)
    }

    /// b (N,D) from logits (N,K).
    public func forward(_ b: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, batch: Int) {
        var top = [(index: Int, logit: Float)]()
        top.reserveCapacity(topT + 1)
        for n in 0..<batch {
            let l = logits + n * classCount
            let out = b + n * dimension
            // Top-T by logit (softmax is monotonic), then their probabilities.
            top.removeAll(keepingCapacity: true)
            var maxLogit = -Float.infinity
            for c in 0..<classCount {
                let value = l[c]
                maxLogit = max(maxLogit, value)
                if top.count < topT || value > top[top.count - 1].logit {
                    if top.count == topT { top.removeLast() }
                    let position = top.firstIndex { $0.logit < value } ?? top.count
                    top.insert((c, value), at: position)
                }
            }
            var partition: Float = 0
            for c in 0..<classCount { partition += exp(l[c] - maxLogit) }
            for j in 0..<dimension { out[j] = 0 }
            for (c, logit) in top {
                let p = exp(logit - maxLogit) / partition
                classText.withUnsafeBufferPointer { ct in
                    let row = ct.baseAddress! + c * dimension
                    for j in 0..<dimension { out[j] += p * row[j] }
                }
            }
            var norm: Float = 0
            for j in 0..<dimension { norm += out[j] * out[j] }
            norm = norm.squareRoot()
            if norm > 0 { for j in 0..<dimension { out[j] /= norm } }
        }
    }

    /// Array convenience: logits (N,K) → b (N,D).
    public func forward(logits: [Float], batch: Int) -> [Float] {
        precondition(logits.count == batch * classCount)
        var b = [Float](repeating: 0, count: batch * dimension)
        logits.withUnsafeBufferPointer { l in
            b.withUnsafeMutableBufferPointer { forward($0.baseAddress!, logits: l.baseAddress!, batch: batch) }
        }
        return b
    }
}
