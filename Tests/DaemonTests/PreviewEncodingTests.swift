import Foundation
import XCTest
@testable import Client
import Imaging
import Thumbnails

/// The escape sequences of each inline-image protocol, byte for byte, and
/// the sixel stream decoded back to its pixels.
final class PreviewEncodingTests: XCTestCase {
    private static let esc = "\u{1B}"

    private func gradient(width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        for y in 0..<height { for x in 0..<width { image[x, y] = (UInt8(x * 255 / width), UInt8(y * 255 / height), 60) } }
        return image
    }

    func testKittySmallImageIsOneFinalChunk() {
        let png: [UInt8] = Array("tiny png bytes".utf8)
        let encoded = String(decoding: KittyGraphics.encode(png: png), as: UTF8.self)
        XCTAssertEqual(encoded, Self.esc + "_Ga=T,f=100,q=2,m=0;" + Data(png).base64EncodedString() + Self.esc + "\\")
    }

    func testKittyChunksAt4096WithMoreFlags() throws {
        let png = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }   // 13,336 base64 bytes: 4 chunks
        let encoded = String(decoding: KittyGraphics.encode(png: png), as: UTF8.self)
        let escapes = encoded.components(separatedBy: Self.esc + "\\").dropLast()
        XCTAssertEqual(escapes.count, 4)
        var payload = ""
        for (i, escape) in escapes.enumerated() {
            XCTAssertTrue(escape.hasPrefix(Self.esc + "_G"), escape.prefix(10).debugDescription)
            let body = escape.dropFirst(3)
            let semicolon = try XCTUnwrap(body.firstIndex(of: ";"))
            let keys = String(body[..<semicolon]), chunk = String(body[body.index(after: semicolon)...])
            switch i {
            case 0: XCTAssertEqual(keys, "a=T,f=100,q=2,m=1")
            case escapes.count - 1: XCTAssertEqual(keys, "m=0")
            default: XCTAssertEqual(keys, "m=1")
            }
            XCTAssertEqual(chunk.count, i < escapes.count - 1 ? 4096 : 13_336 - 3 * 4096)
            payload += chunk
        }
        XCTAssertEqual(Data(base64Encoded: payload).map(Array.init), png)
    }

    func testITermHeaderFields() throws {
        let png: [UInt8] = Array(repeating: 0xAB, count: 300)
        let encoded = String(decoding: ITermImage.encode(png: png, name: "/p/dog.jpg", width: 128, height: 96), as: UTF8.self)
        XCTAssertTrue(encoded.hasPrefix(Self.esc + "]1337;File="))
        XCTAssertTrue(encoded.hasSuffix("\u{07}"))
        let inner = encoded.dropFirst((Self.esc + "]1337;File=").count).dropLast()
        let colon = try XCTUnwrap(inner.firstIndex(of: ":"))
        let fields = Dictionary(uniqueKeysWithValues: inner[..<colon].split(separator: ";").map { field -> (String, String) in
            let parts = field.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), String(parts[1]))
        })
        XCTAssertEqual(fields["inline"], "1")
        XCTAssertEqual(fields["size"], "300")
        XCTAssertEqual(fields["width"], "128px")
        XCTAssertEqual(fields["height"], "96px")
        XCTAssertEqual(fields["preserveAspectRatio"], "1")
        XCTAssertEqual(fields["name"].flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }, "/p/dog.jpg")
        XCTAssertEqual(Data(base64Encoded: String(inner[inner.index(after: colon)...])).map(Array.init), png)
    }

    func testSixelDecodesBackToTheQuantisedImage() throws {
        // 37 × 13: neither a multiple of 6 rows nor free of long runs.
        var image = gradient(width: 37, height: 13)
        for x in 0..<37 { image[x, 0] = (255, 255, 255) }
        let stream = SixelImage.encode(image)
        let decoded = try SixelDecoder.decode(stream)
        XCTAssertEqual(decoded.width, 37)
        XCTAssertEqual(decoded.height, 13)
        XCTAssertEqual(decoded.indices, SixelImage.quantise(image))
        for (index, colour) in decoded.palette {
            let (r, g, b) = SixelImage.palette[index]
            XCTAssertEqual(colour.0, (r * 100 + 127) / 255)
            XCTAssertEqual(colour.1, (g * 100 + 127) / 255)
            XCTAssertEqual(colour.2, (b * 100 + 127) / 255)
        }
        XCTAssertTrue(String(decoding: stream, as: UTF8.self).contains("!37"), "a run of 37 equal sixels is one repeat")
        // Each quantised pixel is near its original (cube steps of 51, greys of 16).
        for i in 0..<(37 * 13) {
            let (r, g, b) = SixelImage.palette[decoded.indices[i]]
            XCTAssertLessThanOrEqual(abs(r - Int(image.pixels[i * 3])), 26)
            XCTAssertLessThanOrEqual(abs(g - Int(image.pixels[i * 3 + 1])), 26)
            XCTAssertLessThanOrEqual(abs(b - Int(image.pixels[i * 3 + 2])), 26)
        }
    }

    func testSixelHeaderAndPaletteOfOneColour() {
        let stream = String(decoding: SixelImage.encode(RGBImage(width: 8, height: 6, fill: (255, 0, 0))), as: UTF8.self)
        // Red is cube index 5·36 = 180; one band, all six bits set (63 + 63 = '~'), eight times.
        XCTAssertEqual(stream, Self.esc + "Pq\"1;1;8;6#180;2;100;0;0#180!8~" + Self.esc + "\\")
    }

    func testHeatMapPreviewIsFittedToTheLargeSize() throws {
        let store = ThumbnailStore(cacheHome: NSTemporaryDirectory() + "unused-\(UUID())")
        let bytes = try PreviewRenderer(format: .sixel, store: store).render(heatMap: gradient(width: 1000, height: 500), name: "x")
        let decoded = try SixelDecoder.decode(Array(bytes.dropLast()))
        XCTAssertEqual([decoded.width, decoded.height], [256, 128])
        XCTAssertEqual(bytes.last, UInt8(ascii: "\n"))
    }
}

/// A small sixel reader for the tests: raster attributes, colour
/// definitions, `#n` selection, `!n` repeats, `$` and `-`.
enum SixelDecoder {
    struct Image {
        var width = 0, height = 0
        var indices: [Int] = []
        var palette: [Int: (Int, Int, Int)] = [:]
    }

    struct Malformed: Error { let reason: String }

    static func decode(_ bytes: [UInt8]) throws -> Image {
        guard bytes.starts(with: [0x1B, UInt8(ascii: "P"), UInt8(ascii: "q")]),
              bytes.suffix(2) == [0x1B, UInt8(ascii: "\\")] else { throw Malformed(reason: "not ESC P q … ESC \\") }
        let body = Array(bytes[3..<(bytes.count - 2)])
        var image = Image()
        var i = 0, colour = 0, x = 0, band = 0
        func number() -> Int {
            var value = 0
            while i < body.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(body[i]) {
                value = value * 10 + Int(body[i] - UInt8(ascii: "0")); i += 1
            }
            return value
        }
        func numbers() -> [Int] {
            var values = [number()]
            while i < body.count, body[i] == UInt8(ascii: ";") { i += 1; values.append(number()) }
            return values
        }
        func paint(_ sixel: UInt8, count: Int) throws {
            guard (63...126).contains(sixel) else { throw Malformed(reason: "byte \(sixel) is not a sixel") }
            for _ in 0..<count {
                for bit in 0..<6 where (sixel - 63) & (1 << bit) != 0 {
                    let y = band * 6 + bit
                    guard x < image.width, y < image.height else { throw Malformed(reason: "pixel \(x),\(y) outside") }
                    image.indices[y * image.width + x] = colour
                }
                x += 1
            }
        }
        while i < body.count {
            let byte = body[i]
            switch byte {
            case UInt8(ascii: "\""):
                i += 1
                let raster = numbers()
                guard raster.count == 4 else { throw Malformed(reason: "raster attributes \(raster)") }
                image.width = raster[2]; image.height = raster[3]
                image.indices = [Int](repeating: -1, count: image.width * image.height)
            case UInt8(ascii: "#"):
                i += 1
                let values = numbers()
                colour = values[0]
                if values.count == 5 {
                    guard values[1] == 2 else { throw Malformed(reason: "colour space \(values[1])") }
                    image.palette[values[0]] = (values[2], values[3], values[4])
                } else if image.palette[colour] == nil {
                    throw Malformed(reason: "colour \(colour) used before it is defined")
                }
            case UInt8(ascii: "!"):
                i += 1
                let count = number()
                try paint(body[i], count: count); i += 1
            case UInt8(ascii: "$"): x = 0; i += 1
            case UInt8(ascii: "-"): x = 0; band += 1; i += 1
            default:
                try paint(byte, count: 1); i += 1
            }
        }
        guard !image.indices.contains(-1) else { throw Malformed(reason: "pixels left unpainted") }
        return image
    }
}
