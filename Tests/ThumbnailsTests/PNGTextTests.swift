import Foundation
import XCTest
import Imaging
import TestSupport

/// `PNGEncoder.encode(_:text:)` and `PNGText.read`, checked against Pillow.
final class PNGTextTests: XCTestCase {
    private func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { image[x, y] = (UInt8(x * 255 / width), UInt8(y * 255 / height), 77) } }
        return image
    }

    func testTextRoundTripsAndPixelsAreExact() throws {
        let image = gradient(width: 120, height: 90)
        let text: [(keyword: String, value: String)] = [("Thumb::URI", "file:///a/b%20c.jpg"), ("Thumb::MTime", "1700000000"),
                                                        ("Software", "photoq café")]
        let png = try PNGEncoder.encode(image, text: text)
        let read = try PNGText.read(png)
        XCTAssertEqual(read, ["Thumb::URI": "file:///a/b%20c.jpg", "Thumb::MTime": "1700000000", "Software": "photoq café"])
        XCTAssertEqual(try ImageDecoder().decode(data: png).image, image)
        XCTAssertLessThan(png.count, image.pixels.count / 2, "the image data is compressed")
    }

    func testTextChunksComeBeforeTheImageData() throws {
        let png = try PNGEncoder.encode(gradient(width: 8, height: 8), text: [("Thumb::MTime", "5")])
        var offset = 8, types: [String] = []
        while offset + 8 <= png.count {
            let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
            types.append(String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self))
            offset += 12 + length
        }
        let text = try XCTUnwrap(types.firstIndex(of: "tEXt")), data = try XCTUnwrap(types.firstIndex(of: "IDAT"))
        XCTAssertLessThan(text, data, "\(types)")
    }

    func testPillowReadsTheText() throws {
        let directory = try TestEnvironment.temporaryDirectory(self)
        let path = directory + "/t.png"
        let png = try PNGEncoder.encode(gradient(width: 30, height: 20), text: [("Thumb::URI", "file:///x.jpg"), ("Thumb::MTime", "42")])
        try Data(png).write(to: URL(fileURLWithPath: path))
        let json = try TestEnvironment.runReference("thumbnail_reference.py", ["text", path])
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        XCTAssertEqual(object["text"] as? [String: String], ["Thumb::URI": "file:///x.jpg", "Thumb::MTime": "42"])
        XCTAssertEqual(object["size"] as? [Int], [30, 20])
        XCTAssertEqual(object["mode"] as? String, "RGB")
    }

    func testBadTextAndBadPNGAreTypedErrors() throws {
        let image = gradient(width: 4, height: 4)
        XCTAssertThrowsError(try PNGEncoder.encode(image, text: [("", "x")]))
        XCTAssertThrowsError(try PNGEncoder.encode(image, text: [(String(repeating: "k", count: 80), "x")]))
        XCTAssertThrowsError(try PNGEncoder.encode(image, text: [("Key", "snowman ☃")])) { error in
            guard case ImageError.encodingFailed = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try PNGText.read(try PNGEncoder.encode(image)), [:], "no text chunks")
        let png = try PNGEncoder.encode(image, text: [("A", "b")])
        XCTAssertThrowsError(try PNGText.read(Array(png.prefix(20))))
        XCTAssertThrowsError(try PNGText.read(Array("not a png at all".utf8)))
    }
}
