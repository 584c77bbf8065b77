extension BackboneOutput {
    /// Flip test-time augmentation: the mean of each photo's output and its
    /// mirror image's (`mirror` row n is the left–right mirror of row n). The
    /// mirror's 7×7 map is flipped back first, so cell k still covers the
    /// same part of the photo; the result has a grid only when both kept one.
    /// Layer activations are not kept.
    public static func averaged(_ photo: BackboneOutput, mirror: BackboneOutput) -> BackboneOutput {
        precondition(photo.batch == mirror.batch && photo.features.count == mirror.features.count
                     && photo.logits.count == mirror.logits.count,
                     "BackboneOutput.averaged: the photo and mirror outputs differ in shape")
        func mean(_ a: [Float], _ b: [Float]) -> [Float] { zip(a, b).map { ($0 + $1) / 2 } }
        var out = BackboneOutput(batch: photo.batch, features: mean(photo.features, mirror.features),
                                 logits: mean(photo.logits, mirror.logits), activations: nil)
        if let grid = photo.grid, let mirrored = mirror.grid {
            out.grid = mean(grid, flippedGrid(mirrored, batch: photo.batch))
        }
        return out
    }

    /// (N,7,7,F) → the same with every row of cells reversed left to right.
    static func flippedGrid(_ grid: [Float], batch: Int) -> [Float] {
        let f = EfficientNetLite.featureCount, side = 7
        precondition(side * side == gridCells && grid.count == batch * gridCells * f, "flippedGrid: not (\(batch),7,7,\(f))")
        var out = [Float](repeating: 0, count: grid.count)
        for image in 0..<batch {
            for row in 0..<side {
                for column in 0..<side {
                    let from = ((image * side + row) * side + column) * f
                    let to = ((image * side + row) * side + (side - 1 - column)) * f
                    out[to..<(to + f)] = grid[from..<(from + f)]
                }
            }
        }
        return out
    }
}
