import Imaging

/// DEC sixel graphics: `ESC P q`, raster attributes, a palette, then bands
/// six pixels high, each drawn once per colour it uses (`#n` then one
/// character per column, 63 + the six bits, runs as `!count char`), `$`
/// back to the band's start, `-` to the next band; `ESC \` ends it.
public enum SixelImage {
    /// A fixed 232-colour palette: the 6×6×6 cube (index r·36 + g·6 + b)
    /// then 16 greys, so no per-image palette search is needed and every
    /// sixel terminal (most offer 256 registers) holds it.
    static let cubeLevels: [Int] = [0, 51, 102, 153, 204, 255]
    static let greyLevels: [Int] = (0..<16).map { 8 + $0 * 16 }
    static let palette: [(Int, Int, Int)] =
        cubeLevels.flatMap { r in cubeLevels.flatMap { g in cubeLevels.map { b in (r, g, b) } } }
        + greyLevels.map { ($0, $0, $0) }

    public static func encode(_ image: RGBImage) -> [UInt8] {
        let indices = quantise(image)
        let width = image.width, height = image.height
        var out = Array("\u{1B}Pq\"1;1;\(width);\(height)".utf8)
        let used = Set(indices).sorted()
        for index in used {
            let (r, g, b) = palette[index]
            out += Array("#\(index);2;\(percent(r));\(percent(g));\(percent(b))".utf8)
        }
        var row = [UInt8](repeating: 0, count: width)
        for top in stride(from: 0, to: height, by: 6) {
            let rows = min(6, height - top)
            var inBand = Set<Int>()
            for y in top..<(top + rows) { for x in 0..<width { inBand.insert(indices[y * width + x]) } }
            for (n, colour) in inBand.sorted().enumerated() {
                for x in 0..<width {
                    var bits: UInt8 = 0
                    for k in 0..<rows where indices[(top + k) * width + x] == colour { bits |= 1 << k }
                    row[x] = bits
                }
                if n > 0 { out.append(UInt8(ascii: "$")) }
                out += Array("#\(colour)".utf8)
                appendRuns(row, to: &out)
            }
            if top + 6 < height { out.append(UInt8(ascii: "-")) }
        }
        out += [0x1B, UInt8(ascii: "\\")]
        return out
    }

    /// Palette index of each pixel: the nearer of the cube colour and the grey.
    static func quantise(_ image: RGBImage) -> [Int] {
        var indices = [Int](repeating: 0, count: image.width * image.height)
        let pixels = image.pixels
        for i in 0..<indices.count {
            let r = Int(pixels[i * 3]), g = Int(pixels[i * 3 + 1]), b = Int(pixels[i * 3 + 2])
            let (lr, lg, lb) = ((r * 5 + 127) / 255, (g * 5 + 127) / 255, (b * 5 + 127) / 255)
            let cube = lr * 36 + lg * 6 + lb
            let grey = min(15, (r + g + b) / 48)   // nearest of 8, 24, …, 248
            indices[i] = distance(palette[216 + grey], r, g, b) < distance(palette[cube], r, g, b) ? 216 + grey : cube
        }
        return indices
    }

    private static func distance(_ colour: (Int, Int, Int), _ r: Int, _ g: Int, _ b: Int) -> Int {
        let dr = colour.0 - r, dg = colour.1 - g, db = colour.2 - b
        return dr * dr + dg * dg + db * db
    }

    private static func percent(_ value: Int) -> Int { (value * 100 + 127) / 255 }

    /// One colour's row of sixels, runs of four or more as `!count char`;
    /// trailing empty sixels are left out (the band is drawn over anyway).
    private static func appendRuns(_ row: [UInt8], to out: inout [UInt8]) {
        var end = row.count
        while end > 0 && row[end - 1] == 0 { end -= 1 }
        var x = 0
        while x < end {
            var run = 1
            while x + run < end && row[x + run] == row[x] { run += 1 }
            let character = 63 + row[x]
            if run >= 4 {
                out += Array("!\(run)".utf8)
                out.append(character)
            } else {
                out += [UInt8](repeating: character, count: run)
            }
            x += run
        }
    }
}
