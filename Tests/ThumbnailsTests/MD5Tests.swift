import XCTest
@testable import Thumbnails
import TestSupport

final class MD5Tests: XCTestCase {
    /// The test suite of RFC 1321, appendix A.5.
    func testRFC1321Vectors() {
        let vectors: [(String, String)] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
            (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
        ]
        for (message, digest) in vectors {
            XCTAssertEqual(MD5.hex(Array(message.utf8)), digest, "MD5(\"\(message)\")")
        }
    }

    /// Lengths around the 55/56/64-byte padding boundaries and a multi-block
    /// UTF-8 URI, against Python's hashlib.
    func testMatchesHashlib() throws {
        let uri = "file:///home/ünïcode/Ph%C3%B6tos/" + String(repeating: "x", count: 150) + ".jpg"
        for message in [String(repeating: "a", count: 55), String(repeating: "b", count: 56),
                        String(repeating: "c", count: 64), uri] {
            let expected = String(decoding: try TestEnvironment.runReference("thumbnail_reference.py", ["md5", message]),
                                  as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            XCTAssertEqual(MD5.hex(Array(message.utf8)), expected, "\(message.utf8.count) bytes")
        }
    }
}
