import Imaging
import XCTest

/// Where each tile of the explainer's cut lies in the photo.
final class NetworkInputTilesTests: XCTestCase {
    /// Red encodes the column and green the row, so a tile's corners say
    /// which part of the photo it shows.
    private func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width { image[x, y] = (UInt8(x * 255 / (width - 1)), UInt8(y * 255 / (height - 1)), 0) }
        }
        return image
    }

    func testOverlappingTilesAreHalfATileApartAndTwiceTheSize() throws {
        let (w, h, size) = (400, 300, 224)
        let photo = gradient(width: w, height: h)
        func check(side: Int, overlapping: Bool, span: (x: Int, y: Int), step: (x: Int, y: Int)) {
            let tiles = networkInputTiles(photo, side: side, overlapping: overlapping, size: size)
            XCTAssertEqual(tiles.count, side * side * 3 * size * size)
            for t in 0..<(side * side) {
                let (x0, y0) = (t % side * step.x, t / side * step.y)
                let base = t * 3 * size * size
                let red = (tiles[base + (size / 2) * size], tiles[base + (size / 2) * size + size - 1])
                let green = (tiles[base + size * size + size / 2], tiles[base + size * size + (size - 1) * size + size / 2])
                let message = "side \(side), overlapping \(overlapping), tile \(t)"
                XCTAssertEqual(red.0, Float(x0 * 255 / (w - 1)), accuracy: 2, message)
                XCTAssertEqual(red.1, Float((x0 + span.x - 1) * 255 / (w - 1)), accuracy: 2, message)
                XCTAssertEqual(green.0, Float(y0 * 255 / (h - 1)), accuracy: 2, message)
                XCTAssertEqual(green.1, Float((y0 + span.y - 1) * 255 / (h - 1)), accuracy: 2, message)
            }
        }
        check(side: 3, overlapping: true, span: (200, 150), step: (100, 75))
        check(side: 2, overlapping: false, span: (200, 150), step: (200, 150))
        check(side: 3, overlapping: false, span: (133, 100), step: (133, 100))

        let both = networkInputTiles(photo, side: 3, overlapping: true, mirrored: true, size: size)
        XCTAssertEqual(both.tiles, networkInputTiles(photo, side: 3, overlapping: true, size: size))
        XCTAssertEqual(both.mirrored, mirroredNetworkInput(both.tiles, size: size))
        XCTAssertNil(networkInputTiles(photo, side: 3, overlapping: true, mirrored: false, size: size).mirrored)
    }
}
