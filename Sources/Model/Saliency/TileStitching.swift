/// How the explainer lays its tiles' cell grids onto one finer grid of the photo.
enum TileStitching {
    /// The tiles' 7×7 head maps laid on one finer grid: grid (T²,49,C) →
    /// (C, w·w) channel-major. Side by side, w = 7s; overlapping (odd s, tiles
    /// half a tile apart as `networkInputTiles(overlapping: true)` cuts them),
    /// w = 7(s+1)/2 and a tile's cells are offset by 3.5 cells, so each cell
    /// is the mean of the tile cells over it, weighted by the area they share.
    static func stitched(_ grid: [Float], tiles count: Int, overlapping: Bool) throws -> (head: [Float], width: Int, height: Int) {
        let side = Int(Double(count).squareRoot().rounded())
        let (cells, c) = (BackboneOutput.gridCells, EfficientNetLite.featureCount)
        guard side >= 1, side * side == count, grid.count == count * cells * c else {
            throw SaliencyError(.shapeMismatch, "\(count) tiles do not make a square")
        }
        let overlapping = overlapping && side > 1
        if overlapping && side % 2 == 0 {
            throw SaliencyError(.shapeMismatch, "overlapping tiles need an odd number per side, not \(side)")
        }
        let cellSide = Int(Double(cells).squareRoot())
        let width = overlapping ? cellSide * (side + 1) / 2 : side * cellSide, r = width * width
        let stride = overlapping ? Float(cellSide) / 2 : Float(cellSide)
        // Fine cells [i, i+1) a tile cell [start, start+1) covers, with the length shared.
        func covered(_ start: Float) -> [(Int, Float)] {
            let first = Int(start.rounded(.down))
            return (first...(first + 1)).compactMap { i in
                let shared = min(Float(i + 1), start + 1) - max(Float(i), start)
                return i < width && shared > 1e-6 ? (i, shared) : nil
            }
        }
        var head = [Float](repeating: 0, count: c * r), mass = [Float](repeating: 0, count: r)
        for t in 0..<count {
            let (ty, tx) = (t / side, t % side)
            for cell in 0..<cells {
                let from = (t * cells + cell) * c
                for (y, wy) in covered(Float(ty) * stride + Float(cell / cellSide)) {
                    for (x, wx) in covered(Float(tx) * stride + Float(cell % cellSide)) {
                        let w = wy * wx, to = y * width + x
                        mass[to] += w
                        for ch in 0..<c { head[ch * r + to] += w * grid[from + ch] }
                    }
                }
            }
        }
        for p in 0..<r where mass[p] > 0 { for ch in 0..<c { head[ch * r + p] /= mass[p] } }
        return (head, width, width)
    }
}
