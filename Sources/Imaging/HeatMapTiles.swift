/// The photo cut into side × side equal tiles, each squashed to the network
/// input as the whole photo is: (side², 3, size, size) RGB 0–255, tiles in
/// row-major order. The explainer runs the backbone on them to see the photo
/// at twice the detail (a 14×14 grid of cells from 2 × 2 tiles of 7×7).
public func networkInputTiles(_ image: RGBImage, side: Int = 2, size: Int = 224) -> [Float] {
    precondition(side >= 1, "tiles per side must be positive")
    var out: [Float] = []
    out.reserveCapacity(side * side * 3 * size * size)
    for ty in 0..<side {
        for tx in 0..<side {
            let x0 = tx * image.width / side, x1 = max(x0 + 1, (tx + 1) * image.width / side)
            let y0 = ty * image.height / side, y1 = max(y0 + 1, (ty + 1) * image.height / side)
            var tile = RGBImage(width: x1 - x0, height: y1 - y0)
            for y in y0..<y1 { for x in x0..<x1 { tile[x - x0, y - y0] = image[x, y] } }
            out += networkInput(tile, size: size, transform: .squash)
        }
    }
    return out
}
