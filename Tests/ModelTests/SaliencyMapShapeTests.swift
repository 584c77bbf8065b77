import XCTest
@testable import Model

/// The cell map's smoothing, its peak within a cell, and how tiles' cells
/// are laid on the photo's grid, each against a direct computation.
final class SaliencyMapShapeTests: XCTestCase {
    func testSmoothingMatchesADirectNormalisedConvolution() throws {
        var random = ExcitationTestRandom(seed: 7)
        let (w, h, sigma) = (9, 7, 1.3)
        let values = random.values(w * h, 0, 1)
        let smoothed = try SaliencyMap(width: w, height: h, values: values).smoothed(sigma: Float(sigma))
        let radius = Int((3 * sigma).rounded(.up))
        for y in 0..<h {
            for x in 0..<w {
                var total = 0.0, mass = 0.0
                for v in 0..<h where abs(v - y) <= radius {
                    for u in 0..<w where abs(u - x) <= radius {
                        let weight = exp(-Double((u - x) * (u - x) + (v - y) * (v - y)) / (2 * sigma * sigma))
                        total += weight * Double(values[v * w + u])
                        mass += weight
                    }
                }
                XCTAssertEqual(Double(smoothed.values[y * w + x]), total / mass, accuracy: 1e-5, "cell (\(x), \(y))")
            }
        }
        let flat = try SaliencyMap(width: 5, height: 4, values: Array(repeating: 0.25, count: 20)).smoothed(sigma: 2)
        for v in flat.values { XCTAssertEqual(v, 0.25, accuracy: 1e-6, "a flat map stays flat, borders included") }
        XCTAssertEqual(try SaliencyMap(width: w, height: h, values: values).smoothed(sigma: 0).values, values)
    }

    /// A Gaussian bump sampled at the cell centres: the peak is its centre,
    /// not the centre of the largest cell.
    func testPeakFindsAGaussianBumpsCentreWithinItsCell() throws {
        for (cx, cy, sigma) in [(3.3, 5.8, 1.2), (6.5, 2.05, 0.8), (4.9, 4.1, 2.0)] {
            let (w, h) = (10, 9)
            let values = (0..<(w * h)).map { i -> Float in
                let dx = Double(i % w) + 0.5 - cx, dy = Double(i / w) + 0.5 - cy
                return Float(exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)))
            }
            let map = try SaliencyMap(width: w, height: h, values: values)
            XCTAssertEqual(map.peak.x, cx, accuracy: 1e-3)
            XCTAssertEqual(map.peak.y, cy, accuracy: 1e-3)
            XCTAssertEqual(Int(map.peak.x), map.argmax.x, "the peak stays in the largest cell")
        }
        // At the border a missing neighbour leaves the cell centre.
        let corner = try SaliencyMap(width: 3, height: 3, values: [9, 2, 1, 2, 1, 0, 1, 0, 0])
        XCTAssertEqual(corner.peak.x, 0.5)
        XCTAssertEqual(corner.peak.y, 0.5)
    }

    /// Each stitched cell against a brute-force reference: the mean of every
    /// tile cell, weighted by the area it shares with the cell, tile cells
    /// placed side by side or 3.5 cells apart when overlapping.
    func testTileCellsLandWhereTheirTilesCoverThePhoto() throws {
        let (cells, channels) = (BackboneOutput.gridCells, EfficientNetLite.featureCount)
        var random = ExcitationTestRandom(seed: 11)
        for (side, overlapping, expectedWidth) in [(2, false, 14), (3, true, 14), (3, false, 21), (1, true, 7)] {
            let tileOffset = overlapping && side > 1 ? 3.5 : 7
            let grid = random.values(side * side * cells * channels, -1, 1)
            let (head, width, height) = try TileStitching.stitched(grid, tiles: side * side, overlapping: overlapping)
            XCTAssertEqual([width, height], [expectedWidth, expectedWidth], "side \(side), overlapping \(overlapping)")
            let r = width * height
            func shared(_ a: Double, _ b: Double) -> Double { max(0, min(a + 1, b + 1) - max(a, b)) }
            for p in Swift.stride(from: 0, to: r, by: 3) {
                let (x, y) = (Double(p % width), Double(p / width))
                for ch in [0, 3, channels - 1] {
                    var total = 0.0, mass = 0.0
                    for t in 0..<(side * side) {
                        for cell in 0..<cells {
                            let w = shared(Double(t % side) * tileOffset + Double(cell % 7), x)
                                * shared(Double(t / side) * tileOffset + Double(cell / 7), y)
                            total += w * Double(grid[(t * cells + cell) * channels + ch])
                            mass += w
                        }
                    }
                    XCTAssertEqual(Double(head[ch * r + p]), total / mass, accuracy: 1e-5,
                                   "side \(side), overlapping \(overlapping), cell \(p)")
                }
            }
        }
        XCTAssertThrowsError(try TileStitching.stitched([Float](repeating: 0, count: 4 * cells * channels), tiles: 4,
                                                        overlapping: true))
    }
}
