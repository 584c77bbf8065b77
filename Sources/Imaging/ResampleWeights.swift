/// How each output sample of a 1-D resampling mixes input samples.
public enum ResizeFilter: Sendable {
    /// Triangle (tent) filter widened by the shrink factor: plain bilinear
    /// interpolation when enlarging, an anti-aliased average when shrinking
    /// (the same definition as Pillow's BILINEAR).
    case bilinear
    /// Exact area averaging: each output pixel is the mean of the input area
    /// it covers, with fractional weights at the edges.
    case area
}

/// Per-output-sample taps for resampling `inputSize` samples to `outputSize`:
/// output i reads inputs start[i] ..< start[i] + taps with weights[i*taps ..< (i+1)*taps]
/// (zero-padded past the real support), which sum to 1.
struct ResampleWeights {
    let outputCount: Int
    let taps: Int
    let start: [Int]
    let weights: [Float]

    /// Weights for output samples `range` of a resampling to `outputSize`
    /// (a sub-range crops without computing the rest).
    init(inputSize: Int, outputSize: Int, range: Range<Int>? = nil, filter: ResizeFilter) {
        precondition(inputSize > 0 && outputSize > 0, "resampling sizes must be positive")
        let range = range ?? 0..<outputSize
        let scale = Double(inputSize) / Double(outputSize)   // input samples per output sample
        var rows: [(start: Int, weights: [Double])] = []
        rows.reserveCapacity(range.count)
        for i in range {
            let center = (Double(i) + 0.5) * scale   // output sample centre, in input coordinates
            rows.append(Self.taps(center: center, scale: scale, inputSize: inputSize, filter: filter))
        }
        let taps = rows.map(\.weights.count).max() ?? 1
        var start = [Int](), weights = [Float]()
        start.reserveCapacity(rows.count)
        weights.reserveCapacity(rows.count * taps)
        for row in rows {
            // Keep every window inside the input so the hot loops never bounds-check.
            let first = min(row.start, inputSize - taps < 0 ? 0 : inputSize - taps)
            start.append(first)
            var padded = [Float](repeating: 0, count: taps)
            for (k, w) in row.weights.enumerated() { padded[row.start - first + k] = Float(w) }
            weights += padded
        }
        self.outputCount = range.count
        self.taps = taps
        self.start = start
        self.weights = weights
    }

    /// Normalised weights of the input samples j (centres at j + 0.5) around `center`.
    private static func taps(center: Double, scale: Double, inputSize: Int,
                             filter: ResizeFilter) -> (start: Int, weights: [Double]) {
        let footprint = max(scale, 1)   // widen the filter only when shrinking
        let support: Double
        switch filter {
        case .bilinear: support = footprint
        case .area: support = scale / 2 + 0.5
        }
        let first = max(Int((center - support + 0.5).rounded(.down)), 0)
        let end = min(Int((center + support + 0.5).rounded(.down)), inputSize)
        var weights: [Double] = []
        for j in first..<max(end, first + 1) where j < inputSize {
            let offset = Double(j) + 0.5 - center
            let w: Double
            switch filter {
            case .bilinear:
                w = max(0, 1 - abs(offset) / footprint)
            case .area:
                // Overlap of input pixel [j, j+1) with the output pixel's footprint.
                let low = max(Double(j), center - scale / 2), high = min(Double(j + 1), center + scale / 2)
                w = max(0, high - low)
            }
            weights.append(w)
        }
        let total = weights.reduce(0, +)
        if total > 0 {
            for k in weights.indices { weights[k] /= total }
        } else {
            // Degenerate footprint (cannot happen for positive sizes): nearest sample.
            weights = [1]
            return (min(max(Int(center), 0), inputSize - 1), weights)
        }
        return (first, weights)
    }
}
