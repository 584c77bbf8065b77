import Foundation

extension SaliencyMap {
    /// Where the map peaks, in cell units from the grid's top-left corner
    /// (the centre of cell (i, j) is (i + 0.5, j + 0.5)): the largest cell,
    /// moved within it to the vertex of the parabola through it and its two
    /// neighbours along each axis, fitted to the logarithm of the values when
    /// all three are positive (exact for a Gaussian bump). A cell is coarse —
    /// a 14×14 grid on a 640-pixel photo has 46-pixel cells — and the
    /// evidence around the largest one says where inside it the peak lies.
    public var peak: (x: Double, y: Double) {
        let (cx, cy) = argmax
        func offset(_ before: Float?, _ at: Float, _ after: Float?) -> Double {
            guard let before, let after else { return 0 }
            var (a, b, c) = (Double(before), Double(at), Double(after))
            if a > 0 && b > 0 && c > 0 { (a, b, c) = (Foundation.log(a), Foundation.log(b), Foundation.log(c)) }
            let curvature = a - 2 * b + c
            guard curvature < -1e-12 else { return 0 }
            return min(0.5, max(-0.5, 0.5 * (a - c) / curvature))
        }
        func value(_ x: Int, _ y: Int) -> Float? {
            x >= 0 && x < width && y >= 0 && y < height ? values[y * width + x] : nil
        }
        let at = values[cy * width + cx]
        return (Double(cx) + 0.5 + offset(value(cx - 1, cy), at, value(cx + 1, cy)),
                Double(cy) + 0.5 + offset(value(cx, cy - 1), at, value(cx, cy + 1)))
    }
}
