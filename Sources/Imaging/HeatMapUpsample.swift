/// Bilinear upsampling of a saliency grid to a photo's size. Grid cells are
/// treated as samples at their centres (half-pixel alignment), so a grid
/// covering the whole network input covers the whole photo, and values beyond
/// the outermost centres are held constant.
/// grid (gh,gw) → (height,width).
public func upsampleBilinear(_ grid: [Float], gridWidth gw: Int, gridHeight gh: Int,
                             width: Int, height: Int) throws -> [Float] {
    guard gw > 0, gh > 0, grid.count == gw * gh else {
        throw ImageError.invalidImage(message: "saliency grid has \(grid.count) values for \(gh)×\(gw)")
    }
    guard width > 0, height > 0 else {
        throw ImageError.invalidImage(message: "upsampling target \(width)×\(height) is not positive")
    }
    // For each output column/row: the two source indices and the weight of the second.
    func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
        (0..<outSize).map { o in
            let position = (Float(o) + 0.5) * Float(inSize) / Float(outSize) - 0.5
            let clamped = min(max(position, 0), Float(inSize - 1))
            let low = Int(clamped)
            return (low, min(low + 1, inSize - 1), clamped - Float(low))
        }
    }
    let columns = taps(width, gw), rows = taps(height, gh)
    var out = [Float](repeating: 0, count: width * height)
    for (y, (r0, r1, fy)) in rows.enumerated() {
        for (x, (c0, c1, fx)) in columns.enumerated() {
            let top = grid[r0 * gw + c0] * (1 - fx) + grid[r0 * gw + c1] * fx
            let bottom = grid[r1 * gw + c0] * (1 - fx) + grid[r1 * gw + c1] * fx
            out[y * width + x] = top * (1 - fy) + bottom * fy
        }
    }
    return out
}
