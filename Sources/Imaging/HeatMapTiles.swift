/// The photo cut into side × side equal tiles, each squashed to the network
/// input as the whole photo is: (side², 3, size, size) RGB 0–255, tiles in
/// row-major order. The explainer runs the backbone on them to see the photo
/// at twice the detail (a 14×14 grid of cells from 2 × 2 tiles of 7×7).
/// `overlapping`: tiles twice the size of side-by-side ones (2/(side+1) of
/// the photo a side) placed half a tile apart, so every part of the photo
/// away from its edges is seen whole in some tile.
public func networkInputTiles(_ image: RGBImage, side: Int = 2, overlapping: Bool = false, size: Int = 224) -> [Float] {
    precondition(side >= 1, "tiles per side must be positive")
    // In units of 1/(side+1) of the photo when overlapping, else of 1/side.
    let (parts, span) = overlapping && side > 1 ? (side + 1, 2) : (side, 1)
    var out: [Float] = []
    out.reserveCapacity(side * side * 3 * size * size)
    for ty in 0..<side {
        for tx in 0..<side {
            let x0 = tx * image.width / parts, x1 = max(x0 + 1, (tx + span) * image.width / parts)
            let y0 = ty * image.height / parts, y1 = max(y0 + 1, (ty + span) * image.height / parts)
            var tile = RGBImage(width: x1 - x0, height: y1 - y0)
            for y in y0..<y1 { for x in x0..<x1 { tile[x - x0, y - y0] = image[x, y] } }
            out += networkInput(tile, size: size, transform: .squash)
        }
    }
    return out
}

/// The tiles and, when `mirrored`, each tile's left–right mirror image, for
/// an explainer that averages every cell with its mirror.
public func networkInputTiles(_ image: RGBImage, side: Int, overlapping: Bool, mirrored: Bool,
                              size: Int = 224) -> (tiles: [Float], mirrored: [Float]?) {
    let tiles = networkInputTiles(image, side: side, overlapping: overlapping, size: size)
    return (tiles, mirrored ? mirroredNetworkInput(tiles, size: size) : nil)
}
