/// A perceptual dark-to-bright ramp close to matplotlib's "inferno": black →
/// purple → red → orange → pale yellow. Its lightness rises monotonically, so
/// the hottest region reads as the brightest even in greyscale.
public enum HeatMapColor {
    /// (position, R, G, B) control points, interpolated linearly.
    static let stops: [(Float, Float, Float, Float)] = [
        (0.00, 0, 0, 4), (0.14, 40, 11, 84), (0.29, 101, 21, 110), (0.43, 159, 42, 99),
        (0.57, 212, 72, 66), (0.71, 245, 125, 21), (0.86, 250, 193, 39), (1.00, 252, 255, 164),
    ]

    /// The colour of a value in [0, 1] (clamped).
    public static func color(_ value: Float) -> (UInt8, UInt8, UInt8) {
        let v = value.isNaN ? 0 : min(max(value, 0), 1)
        var upper = 1
        while upper < stops.count - 1 && stops[upper].0 < v { upper += 1 }
        let a = stops[upper - 1], b = stops[upper]
        let t = (v - a.0) / (b.0 - a.0)
        func mix(_ p: Float, _ q: Float) -> UInt8 { UInt8((p + (q - p) * t).rounded()) }
        return (mix(a.1, b.1), mix(a.2, b.2), mix(a.3, b.3))
    }
}
