#if canImport(Glibc)
import Glibc
#endif

/// Mean binary cross-entropy on logits, stable for large |z|:
/// ℓ = max(z,0) − z·y + log(1 + e^{−|z|}). logits, labels (B) → (loss, ∂loss/∂z (B)).
public func binaryCrossEntropyWithLogits(_ logits: [Float], labels: [Float]) -> (loss: Float, gradient: [Float]) {
    precondition(logits.count == labels.count && !logits.isEmpty, "BCE: \(logits.count) logits, \(labels.count) labels")
    let n = Float(logits.count)
    var loss: Float = 0
    var gradient = [Float](repeating: 0, count: logits.count)
    for (k, (z, y)) in zip(logits, labels).enumerated() {
        loss += max(z, 0) - z * y + log1pf(expf(-abs(z)))
        gradient[k] = (sigmoid(z) - y) / n
    }
    return (loss / n, gradient)
}
