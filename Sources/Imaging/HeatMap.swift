/// Saliency rendered for a person: the grid is scaled to [0, 1] by its
/// maximum, upsampled smoothly to the photo, coloured and alpha-blended over it.
public enum HeatMap {
    /// How the overlay is drawn.
    public struct Style: Sendable {
        /// Opacity of the colour where saliency is highest.
        public var maximumOpacity: Float
        /// Opacity where saliency is zero: low, so the photo stays readable.
        public var minimumOpacity: Float
        public init(maximumOpacity: Float = 0.7, minimumOpacity: Float = 0.15) {
            self.maximumOpacity = maximumOpacity
            self.minimumOpacity = minimumOpacity
        }
    }

    /// The photo with the saliency grid blended over it as a heat map.
    /// grid (gh,gw), any non-negative scale (negative cells count as zero).
    public static func render(_ photo: RGBImage, grid: [Float], gridWidth: Int, gridHeight: Int,
                              style: Style = Style()) throws -> RGBImage {
        let peak = grid.max() ?? 0
        let scaled = grid.map { peak > 0 ? max($0, 0) / peak : 0 }
        let heat = try upsampleBilinear(scaled, gridWidth: gridWidth, gridHeight: gridHeight,
                                        width: photo.width, height: photo.height)
        var pixels = photo.pixels
        for (i, value) in heat.enumerated() {
            let alpha = style.minimumOpacity + (style.maximumOpacity - style.minimumOpacity) * value
            let (r, g, b) = HeatMapColor.color(value)
            func blend(_ under: UInt8, _ over: UInt8) -> UInt8 {
                UInt8((Float(under) * (1 - alpha) + Float(over) * alpha).rounded())
            }
            pixels[i * 3] = blend(pixels[i * 3], r)
            pixels[i * 3 + 1] = blend(pixels[i * 3 + 1], g)
            pixels[i * 3 + 2] = blend(pixels[i * 3 + 2], b)
        }
        return try RGBImage(width: photo.width, height: photo.height, pixels: pixels)
    }

    /// Encodes as PNG for .png, JPEG for .jpg/.jpeg; other names are refused
    /// (HeatMapOutputError.unsupportedExtension).
    public static func encode(_ image: RGBImage, forPath path: String) throws -> [UInt8] {
        try HeatMapOutput.encode(image, forPath: path)
    }
}
