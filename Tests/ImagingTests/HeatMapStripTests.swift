import Imaging
import XCTest

/// The per-word strip and what photoq will write: tiles in order under
/// drawn labels, and only the formats it can encode.
final class HeatMapStripTests: XCTestCase {
    func testTilesKeepTheirOrderUnderTheirLabels() throws {
        let photo = RGBImage(width: 80, height: 40, fill: (128, 128, 128))
        // Tile 0 hot on the left, tile 1 hot on the right.
        let tiles = [HeatMapStrip.Tile(label: "left", grid: [1, 0], gridWidth: 2, gridHeight: 1),
                     HeatMapStrip.Tile(label: "right 50%", grid: [0, 1], gridWidth: 2, gridHeight: 1)]
        let strip = try HeatMapStrip.render(photo, tiles: tiles, tileHeight: 40)
        let band = BitmapFont.glyphHeight * 2 + 8
        XCTAssertEqual(strip.width, 2 * 80 + 8)
        XCTAssertEqual(strip.height, band + 40)
        func brightness(_ x: Int, _ y: Int) -> Int { let p = strip[x, y]; return Int(p.0) + Int(p.1) + Int(p.2) }
        XCTAssertGreaterThan(brightness(5, band + 20), brightness(75, band + 20), "tile 0 is hot on its left")
        XCTAssertGreaterThan(brightness(88 + 75, band + 20), brightness(88 + 5, band + 20), "tile 1 on its right")
        // Labels are drawn in white in each tile's band, nowhere over the photo.
        let white = (0..<strip.width).flatMap { x in (0..<band).map { (x, $0) } }.filter { strip[$0.0, $0.1] == (255, 255, 255) }
        XCTAssertTrue(white.contains { $0.0 < 80 } && white.contains { $0.0 > 88 })
        XCTAssertThrowsError(try HeatMapStrip.render(photo, tiles: []))
    }

    func testOnlyPNGAndJPEGNamesAreWritable() throws {
        XCTAssertEqual(try HeatMapOutput.format(forPath: "/a/why.PNG"), .png)
        XCTAssertEqual(try HeatMapOutput.format(forPath: "why.jpeg"), .jpeg)
        XCTAssertEqual(try HeatMapOutput.format(forPath: "x.y/why.jpg"), .jpeg)
        for path in ["why.webp", "why", "/tmp/.png", "dir.png/why"] {
            XCTAssertThrowsError(try HeatMapOutput.format(forPath: path), path)
        }
        XCTAssertEqual(HeatMapOutput.defaultPath(name: "e.jpg", environment: ["XDG_CACHE_HOME": "/c", "HOME": "/h"]),
                       "/c/photoq/e.jpg")
        XCTAssertEqual(HeatMapOutput.defaultPath(name: "e.jpg", environment: ["XDG_RUNTIME_DIR": "/", "HOME": "/h"]),
                       "//photoq/e.jpg")
    }
}
