import Foundation
import XCTest
import PhotoqProtocol

/// The lossless path strings and their two wire fields.
final class PathBytesTests: XCTestCase {
    func testEveryByteSequenceRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        // Awkward cases first: invalid bytes, overlongs, surrogates, an
        // escape scalar's own UTF-8 (F4 8F BF A9), a truncated sequence.
        var cases: [[UInt8]] = [[0xE9], [0xFF, 0xFE], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x8F, 0xBF, 0xA9],
                                [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8)]
        for _ in 0..<2000 {
            cases.append((0..<Int.random(in: 1...12, using: &generator)).map { _ in UInt8.random(in: 1...255, using: &generator) })
        }
        var strings: [[UInt8]: [UInt8]] = [:]
        for bytes in cases {
            let string = PathBytes.string(bytes)
            XCTAssertEqual(PathBytes.bytes(string), bytes, "\(bytes)")
            // One to one: two byte sequences never give the same string.
            if let other = strings[Array(string.utf8)] { XCTAssertEqual(other, bytes) }
            strings[Array(string.utf8)] = bytes
        }
    }

    func testValidNamesAreTheirOwnStrings() {
        for name in ["/photos/a.jpg", "/photos/caf\u{E9}.jpg", "/photos/cafe\u{301}.jpg", "/\u{1F600}/x.jpg"] {
            XCTAssertTrue(PathBytes.string(Array(name.utf8)).utf8.elementsEqual(name.utf8))
            XCTAssertTrue(PathBytes.isPlain(name))
            XCTAssertEqual(PathBytes.display(name), name)
        }
    }

    func testDisplayEscapesBytesThatAreNotUTF8() {
        let path = PathBytes.string(Array("/p/caf".utf8) + [0xE9] + Array(".jpg".utf8))
        XCTAssertFalse(PathBytes.isPlain(path))
        XCTAssertEqual(PathBytes.display(path), "/p/caf\\xe9.jpg")
    }

    func testTwinsAreDifferentPathsAndPrefixesCompareBytes() {
        let nfc = "/p/caf\u{E9}", nfd = "/p/cafe\u{301}"
        XCTAssertEqual(nfc, nfd, "Swift's == is canonical equivalence; this is why paths are compared as bytes")
        XCTAssertFalse(PathBytes.same(nfc, nfd))
        XCTAssertFalse(PathBytes.isWithin(nfd + "/x.jpg", nfc))
        XCTAssertTrue(PathBytes.isWithin(nfc + "/x.jpg", nfc))
        XCTAssertTrue(PathBytes.isWithin(nfc, nfc))
        XCTAssertFalse(PathBytes.isWithin(nfc + "x/y.jpg", nfc))
    }

    func testHitsCarryPathBytesOnlyWhenTheNameIsNotUTF8() throws {
        let raw = Array("/p/caf".utf8) + [0xE9] + Array(".jpg".utf8)
        let odd = SearchHit(id: 1, path: PathBytes.string(raw), score: 0.5, modified: 0)
        let plain = SearchHit(id: 2, path: "/p/dog.jpg", score: 0.4, modified: 0)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode([odd, plain])) as? [[String: Any]]
        XCTAssertEqual(json?[0]["path"] as? String, "/p/caf\\xe9.jpg")
        XCTAssertEqual(json?[0]["path_bytes"] as? String, Data(raw).base64EncodedString())
        XCTAssertNil(json?[1]["path_bytes"])
        let decoded = try JSONDecoder().decode([SearchHit].self, from: JSONEncoder().encode([odd, plain]))
        XCTAssertEqual(decoded[0].fileSystemPath, raw)
        XCTAssertEqual(decoded[1].fileSystemPath, Array("/p/dog.jpg".utf8))
        XCTAssertEqual(decoded[0].losslessPath.utf8.count, PathBytes.string(raw).utf8.count)
    }
}
