/// An exponential moving average of weights (Polyak averaging): the averaged
/// weights of a noisy optimiser are usually better than its last iterate, and
/// cost one multiply-add per weight per step.
///
/// The decay ramps up as min(decay, (1 + n) / (10 + n)) after n updates, so
/// the first steps do not leave the average stuck near the initial weights.
public struct WeightAverage: Sendable {
    public let decay: Float
    public private(set) var tensors: [[Float]]
    public private(set) var updates = 0

    /// Starts the average at `initial` (one flat array per tensor).
    public init(initial: [[Float]], decay: Float) {
        precondition((0..<1).contains(decay), "WeightAverage: decay \(decay) must be in [0, 1)")
        self.decay = decay
        tensors = initial
    }

    /// avg ← d·avg + (1 − d)·current, d the ramped decay.
    public mutating func update(with current: [[Float]]) {
        precondition(current.count == tensors.count, "WeightAverage: \(current.count) tensors for \(tensors.count)")
        let d = min(decay, Float(1 + updates) / Float(10 + updates))
        for i in tensors.indices {
            precondition(current[i].count == tensors[i].count, "WeightAverage: tensor \(i) changed size")
            for j in tensors[i].indices { tensors[i][j] = d * tensors[i][j] + (1 - d) * current[i][j] }
        }
        updates += 1
    }
}
