import Foundation
import XCTest
import PhotoqProtocol

final class ProtocolTests: XCTestCase {
    func testFramesSurviveArbitrarySplits() throws {
        let bodies: [[UInt8]] = [Array("{}".utf8), [], Array(repeating: 7, count: 70_000), Array("x".utf8)]
        let stream = bodies.flatMap(Frame.encode)
        for chunk in [1, 3, 4096, stream.count] {
            var decoder = FrameDecoder(maximumBytes: 100_000)
            var out: [[UInt8]] = []
            for start in stride(from: 0, to: stream.count, by: chunk) {
                decoder.append(Array(stream[start..<min(stream.count, start + chunk)]))
                while let body = try decoder.next() { out.append(body) }
            }
            XCTAssertEqual(out, bodies, "chunk \(chunk)")
            XCTAssertEqual(decoder.bufferedBytes, 0)
        }
    }

    func testOversizedFrameIsRejectedFromItsHeader() {
        var decoder = FrameDecoder(maximumBytes: 10)
        decoder.append(Frame.encode(Array(repeating: 1, count: 11)).prefix(4).map { $0 })
        XCTAssertThrowsError(try decoder.next()) { XCTAssertEqual($0 as? FrameError, .tooLarge(announced: 11, limit: 10)) }
    }

    func testRequestsRoundTripThroughJSON() throws {
        let requests: [Request] = [
            .search(SearchRequest(text: "dog on a beach", k: 5, filters: SearchFilters(folder: "/p", modifiedAfter: 1, modifiedBefore: 2))),
            .similar(SimilarRequest(photo: PhotoReference(id: 7), text: "at night", k: 3)),
            .similar(SimilarRequest(photo: PhotoReference(path: "/p/a.jpg"), k: 3)),
            .get(GetRequest(photo: PhotoReference(id: 9))),
            .status,
            .reindex(ReindexRequest(failedOnly: true)),
        ]
        for (i, request) in requests.enumerated() {
            let data = try JSONEncoder().encode(RequestEnvelope(id: i, request: request))
            let decoded = try JSONDecoder().decode(RequestEnvelope.self, from: data)
            XCTAssertEqual(decoded, RequestEnvelope(id: i, request: request))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            XCTAssertEqual(object?["version"] as? Int, Wire.version)
            XCTAssertEqual(object?["method"] as? String, request.method)
        }
    }

    func testUnknownMethodAndVersionAreDistinguished() {
        XCTAssertThrowsError(try JSONDecoder().decode(RequestEnvelope.self, from: Data(#"{"version":1,"method":"nope"}"#.utf8))) {
            XCTAssertEqual(($0 as? RequestEnvelope.UnknownMethod)?.method, "nope")
        }
        XCTAssertThrowsError(try JSONDecoder().decode(RequestEnvelope.self, from: Data(#"{"version":2,"method":"status"}"#.utf8))) {
            XCTAssertEqual(($0 as? RequestEnvelope.UnsupportedVersion)?.version, 2)
        }
    }

    func testLongSocketPathIsRejected() {
        XCTAssertThrowsError(try UnixSocket.address("/" + String(repeating: "a", count: 200)))
        XCTAssertNoThrow(try UnixSocket.address("/run/user/1000/photoq/photoq.sock"))
    }
}
