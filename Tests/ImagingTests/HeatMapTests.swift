import XCTest
@testable import Imaging

final class HeatMapTests: XCTestCase {
    func testUpsamplingAConstantGridIsConstant() throws {
        let out = try upsampleBilinear([Float](repeating: 0.3, count: 12), gridWidth: 4, gridHeight: 3, width: 37, height: 23)
        XCTAssertEqual(out.count, 37 * 23)
        for v in out { XCTAssertEqual(v, 0.3, accuracy: 1e-6) }
    }

    func testUpsamplingInterpolatesLinearlyBetweenCellCentres() throws {
        // Two cells 0 and 1 over 8 pixels: centres at x = 1.5 and 5.5, a linear
        // ramp between them, constant outside.
        let out = try upsampleBilinear([0, 1], gridWidth: 2, gridHeight: 1, width: 8, height: 1)
        let expected: [Float] = [0, 0, 0.125, 0.375, 0.625, 0.875, 1, 1]
        for (a, e) in zip(out, expected) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    func testPeakStaysInItsCell() throws {
        var grid = [Float](repeating: 0, count: 49)
        grid[1 * 7 + 5] = 1  // column 5, row 1
        let out = try upsampleBilinear(grid, gridWidth: 7, gridHeight: 7, width: 224, height: 140)
        let peak = out.indices.max { out[$0] < out[$1] }!
        let (x, y) = (peak % 224, peak / 224)
        XCTAssertEqual(x / 32, 5)
        XCTAssertEqual(y / 20, 1)
    }

    func testColorRampRunsDarkToBright() {
        func lightness(_ c: (UInt8, UInt8, UInt8)) -> Float { 0.2126 * Float(c.0) + 0.7152 * Float(c.1) + 0.0722 * Float(c.2) }
        var previous: Float = -1
        for step in 0...50 {
            let l = lightness(HeatMapColor.color(Float(step) / 50))
            XCTAssertGreaterThan(l, previous, "step \(step)")
            previous = l
        }
        XCTAssertLessThan(lightness(HeatMapColor.color(0)), 10)
        XCTAssertGreaterThan(lightness(HeatMapColor.color(1)), 200)
        XCTAssertTrue(HeatMapColor.color(-3) == HeatMapColor.color(0) && HeatMapColor.color(.nan) == HeatMapColor.color(0))
    }

    func testRenderMarksTheHotRegionOnly() throws {
        let photo = RGBImage(width: 64, height: 48, fill: (40, 120, 200))
        var grid = [Float](repeating: 0, count: 16)
        grid[3] = 5  // top-right cell of a 4×4 grid
        let out = try HeatMap.render(photo, grid: grid, gridWidth: 4, gridHeight: 4)
        XCTAssertEqual(out.width, 64)
        XCTAssertEqual(out.height, 48)
        let hot = out[60, 3], cold = out[3, 44]
        // Hot: mostly the ramp's pale yellow; cold: mostly the photo, slightly darkened.
        XCTAssertGreaterThan(Int(hot.0), 180)
        XCTAssertGreaterThan(Int(hot.1), 180)
        XCTAssertLessThan(abs(Int(cold.2) - Int(Float(200) * 0.85)), 3)
        XCTAssertLessThan(abs(Int(cold.0) - Int(Float(40) * 0.85)), 3)
    }

    func testRenderRejectsAMismatchedGrid() {
        let photo = RGBImage(width: 8, height: 8)
        XCTAssertThrowsError(try HeatMap.render(photo, grid: [1, 2, 3], gridWidth: 2, gridHeight: 2))
    }

    func testEncodesByExtension() throws {
        let image = try HeatMap.render(RGBImage(width: 16, height: 16, fill: (90, 90, 90)),
                                       grid: [0, 1, 1, 0], gridWidth: 2, gridHeight: 2)
        let png = try HeatMap.encode(image, forPath: "/tmp/x.PNG")
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let jpeg = try HeatMap.encode(image, forPath: "/tmp/x.jpg")
        XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8])
        let decoded = try JPEGDecoder().decode(data: jpeg)
        XCTAssertEqual(decoded.image.width, 16)
    }
}
