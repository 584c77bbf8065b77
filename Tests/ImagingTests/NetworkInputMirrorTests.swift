import XCTest
@testable import Imaging

/// The mirrored network input is the network input of the mirrored photo.
final class NetworkInputMirrorTests: XCTestCase {
    private func scene(width: Int, height: Int, mirrored: Bool) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                let sx = mirrored ? width - 1 - x : x
                image[x, y] = (UInt8((sx * 7 + y) % 256), UInt8((sx * sx + 3 * y) % 256), UInt8(sx < width / 3 ? 250 : 20))
            }
        }
        return image
    }

    func testMirroringTheInputEqualsTheInputOfTheMirroredPhoto() {
        for (width, height) in [(40, 30), (31, 57)] {
            let input = networkInput(scene(width: width, height: height, mirrored: false), size: 16)
            let ofMirror = networkInput(scene(width: width, height: height, mirrored: true), size: 16)
            let mirrored = mirroredNetworkInput(input, size: 16)
            XCTAssertEqual(mirrored.count, input.count)
            for (a, b) in zip(mirrored, ofMirror) { XCTAssertEqual(a, b, accuracy: 1e-3) }
            XCTAssertNotEqual(mirrored, input, "an asymmetric scene must change")
        }
    }

    func testABatchMirrorsEachInputOnItsOwnAndTwiceIsTheIdentity() {
        let a = networkInput(scene(width: 20, height: 20, mirrored: false), size: 8)
        let b = networkInput(scene(width: 33, height: 12, mirrored: false), size: 8)
        let batch = mirroredNetworkInput(a + b, size: 8)
        XCTAssertEqual(batch, mirroredNetworkInput(a, size: 8) + mirroredNetworkInput(b, size: 8))
        XCTAssertEqual(mirroredNetworkInput(batch, size: 8), a + b)
        // Channel 0, row 2: value at column 1 comes from column 6.
        XCTAssertEqual(mirroredNetworkInput(a, size: 8)[2 * 8 + 1], a[2 * 8 + 6])
    }
}
