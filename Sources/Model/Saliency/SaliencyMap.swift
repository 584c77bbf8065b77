/// A spatial saliency grid (H,W), row-major, as produced on a feature map.
public struct SaliencyMap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// values (H,W)
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) throws {
        try SaliencyError.check("saliency map \(height)×\(width)", values.count, width * height)
        self.init(checkedWidth: width, height: height, values: values)
    }

    init(checkedWidth width: Int, height: Int, values: [Float]) {
        self.width = width
        self.height = height
        self.values = values
    }

    public var total: Float { values.reduce(0, +) }

    /// The cell holding the largest value (first one on ties).
    public var argmax: (x: Int, y: Int) {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return (best % width, best / width)
    }

    /// Contrastive MWP (Zhang et al.): this map minus the map obtained with
    /// the negated top-layer weights; negative cells are clipped to zero.
    public func contrasted(with dual: SaliencyMap) throws -> SaliencyMap {
        try SaliencyError.check("contrastive dual map", dual.values.count, values.count)
        return SaliencyMap(checkedWidth: width, height: height,
                           values: zip(values, dual.values).map { max($0 - $1, 0) })
    }

    /// Scaled to [0, 1] by the maximum (an all-zero map stays zero).
    public func normalized() -> SaliencyMap {
        let peak = values.max() ?? 0
        guard peak > 0 else { return self }
        return SaliencyMap(checkedWidth: width, height: height, values: values.map { max($0, 0) / peak })
    }

    /// On a grid of width×height covering the same area, each cell the mean
    /// of the source cells (or parts of cells) it overlaps; totals scale by
    /// the ratio of cell counts. Used to compare maps of different grids.
    public func resampled(width w: Int, height h: Int) -> SaliencyMap {
        if w == width && h == height { return self }
        var out = [Float](repeating: 0, count: w * h)
        // Sample each target cell on a 4×4 lattice (exact for 7↔14, 14↔28).
        let n = 4
        for y in 0..<h {
            for x in 0..<w {
                var total: Float = 0
                for sy in 0..<n {
                    for sx in 0..<n {
                        let fx = (Float(x) + (Float(sx) + 0.5) / Float(n)) / Float(w)
                        let fy = (Float(y) + (Float(sy) + 0.5) / Float(n)) / Float(h)
                        total += values[min(height - 1, Int(fy * Float(height))) * width + min(width - 1, Int(fx * Float(width)))]
                    }
                }
                out[y * w + x] = total / Float(n * n)
            }
        }
        return SaliencyMap(checkedWidth: w, height: h, values: out)
    }

    /// Mean-pooled to at most `maxSide` cells a side, for compact JSON output.
    /// grid (H,W) → (ceil(H/f), ceil(W/f)) with f = ceil(max(H,W)/maxSide).
    public func downsampled(maxSide: Int) -> SaliencyMap {
        let factor = max(1, (max(width, height) + maxSide - 1) / max(maxSide, 1))
        guard factor > 1 else { return self }
        let w = (width + factor - 1) / factor, h = (height + factor - 1) / factor
        var out = [Float](repeating: 0, count: w * h), counts = out
        for y in 0..<height {
            for x in 0..<width {
                out[(y / factor) * w + x / factor] += values[y * width + x]
                counts[(y / factor) * w + x / factor] += 1
            }
        }
        return SaliencyMap(checkedWidth: w, height: h, values: zip(out, counts).map { $0 / $1 })
    }
}
