import Foundation

/// Adam (Kingma & Ba 2015) over one flat parameter array.
///
/// Each learned tensor keeps its own `Adam` so the optimiser's moments travel
/// with the weights they belong to.
public struct Adam: Sendable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    /// Decoupled weight decay (AdamW); 0 disables it.
    public var weightDecay: Float
    private var m: [Float]
    private var v: [Float]
    public private(set) var step = 0

    public init(count: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// params (N) -= lr * m̂ / (√v̂ + ε), given grads (N).
    public mutating func update(_ params: inout [Float], gradients: [Float]) {
        precondition(params.count == m.count && gradients.count == m.count, "Adam: size mismatch")
        step += 1
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        let stepSize = learningRate * correction2.squareRoot() / correction1
        let decay = 1 - learningRate * weightDecay
        for i in 0..<params.count {
            let g = gradients[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            params[i] = params[i] * decay - stepSize * m[i] / (v[i].squareRoot() + epsilon * correction2.squareRoot())
        }
    }
}

/// Scales `gradients` so their global L2 norm is at most `maxNorm`; returns
/// the norm before clipping.
@discardableResult
public func clipGradients(_ gradients: inout [[Float]], maxNorm: Float) -> Float {
    var total: Float = 0
    for g in gradients { for x in g { total += x * x } }
    let norm = total.squareRoot()
    if norm > maxNorm, norm > 0 {
        let scale = maxNorm / norm
        for i in gradients.indices { for j in gradients[i].indices { gradients[i][j] *= scale } }
    }
    return norm
}
