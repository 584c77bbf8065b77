/// Several heat maps of one photo side by side, each under a label: the
/// whole query's map first, then one tile per word in query order.
public enum HeatMapStrip {
    /// One tile: its label and its grid (gh,gw).
    public struct Tile: Sendable {
        public var label: String
        public var grid: [Float]
        public var gridWidth: Int, gridHeight: Int
        public init(label: String, grid: [Float], gridWidth: Int, gridHeight: Int) {
            self.label = label
            self.grid = grid
            self.gridWidth = gridWidth
            self.gridHeight = gridHeight
        }
    }

    /// Tiles `tileHeight` pixels tall (the photo's aspect kept), a label band
    /// above each, a gap between tiles.
    public static func render(_ photo: RGBImage, tiles: [Tile], tileHeight: Int = 240,
                              style: HeatMap.Style = HeatMap.Style()) throws -> RGBImage {
        guard !tiles.isEmpty else { throw ImageError.invalidImage(message: "a heat-map strip needs at least one tile") }
        let height = max(16, min(tileHeight, photo.height))
        let width = max(1, photo.width * height / max(photo.height, 1))
        let small = resize(photo, width: width, height: height)
        let scale = 2, gap = 8
        let band = BitmapFont.glyphHeight * scale + 8
        let labels = tiles.map { fitted($0.label, width: width, scale: scale) }
        var strip = RGBImage(width: tiles.count * width + (tiles.count - 1) * gap, height: band + height, fill: (24, 24, 24))
        for (i, tile) in tiles.enumerated() {
            let rendered = try HeatMap.render(small, grid: tile.grid, gridWidth: tile.gridWidth,
                                              gridHeight: tile.gridHeight, style: style)
            let left = i * (width + gap)
            for y in 0..<height { for x in 0..<width { strip[left + x, band + y] = rendered[x, y] } }
            BitmapFont.draw(labels[i], into: &strip, x: left + 2, y: 4, scale: scale)
        }
        return strip
    }

    /// The label cut (with "..") to fit the tile.
    static func fitted(_ label: String, width: Int, scale: Int) -> String {
        var text = label
        while text.count > 2 && BitmapFont.width(of: text, scale: scale) > width - 4 {
            text = String(text.dropLast(3)) + ".."
        }
        return text
    }
}
