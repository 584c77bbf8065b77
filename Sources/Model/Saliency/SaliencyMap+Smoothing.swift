import Foundation

extension SaliencyMap {
    /// Convolved with a Gaussian of standard deviation `sigma` cells, each
    /// output divided by the kernel weight that fell inside the grid, so
    /// cells at the border are not pulled down by the missing outside
    /// (normalised convolution). sigma ≤ 0 returns the map unchanged.
    public func smoothed(sigma: Float) -> SaliencyMap {
        guard sigma > 0, width > 0, height > 0 else { return self }
        let radius = Int((3 * sigma).rounded(.up))
        let kernel = (-radius...radius).map { Foundation.exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        // One pass along a line of `count` values read and written at `index(i)`.
        func pass(_ source: [Float], lines: Int, count: Int, index: (Int, Int) -> Int) -> [Float] {
            var out = source
            for line in 0..<lines {
                for i in 0..<count {
                    var total: Float = 0, mass: Float = 0
                    for k in max(0, i - radius)...min(count - 1, i + radius) {
                        let w = kernel[k - i + radius]
                        total += w * source[index(line, k)]
                        mass += w
                    }
                    out[index(line, i)] = total / mass
                }
            }
            return out
        }
        let rows = pass(values, lines: height, count: width) { y, x in y * width + x }
        let both = pass(rows, lines: width, count: height) { x, y in y * width + x }
        return SaliencyMap(checkedWidth: width, height: height, values: both)
    }
}
