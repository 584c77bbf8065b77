import Foundation
import Glibc
import XCTest
import PhotoqProtocol
import TestSupport
@testable import Daemon

/// Range checks of request fields, calendar days, and the client's check of
/// the server's uid, without the release binaries.
final class HardeningServerUnitTests: XCTestCase {
    typealias V = RequestValidation

    func testSecondsBeyondInt64NanosecondsSaturateInsteadOfTrapping() {
        XCTAssertEqual(V.nanoseconds(9.3e9, .down), .max)
        XCTAssertEqual(V.nanoseconds(1e308, .down), .max)
        XCTAssertEqual(V.nanoseconds(-1e10, .up), .min)
        XCTAssertEqual(V.nanoseconds(-1e308, .up), .min)
        XCTAssertEqual(V.nanoseconds(1.5, .down), 1_500_000_000)
        XCTAssertEqual(V.nanoseconds(-0.25, .up), -250_000_000)
    }

    func testTimeWindowClampsFarDatesAndRefusesNonFiniteOnes() throws {
        XCTAssertEqual(try V.timeWindow(after: nil, before: nil), .any)
        // After 2263: nothing can be that new; after 1600: everything is.
        XCTAssertEqual(try V.timeWindow(after: 9.3e9, before: nil), .range(Int64.max...Int64.max))
        XCTAssertEqual(try V.timeWindow(after: -1.17e10, before: nil), .range(Int64.min...Int64.max))
        // Before 1600: nothing; before 2263: everything.
        XCTAssertEqual(try V.timeWindow(after: nil, before: -1e10), .nothing)
        XCTAssertEqual(try V.timeWindow(after: nil, before: 9.3e9), .range(Int64.min...Int64.max))
        XCTAssertEqual(try V.timeWindow(after: nil, before: 2), .range(Int64.min...1_999_999_999))
        XCTAssertEqual(try V.timeWindow(after: 5, before: 5), .nothing)
        XCTAssertEqual(try V.timeWindow(after: -1e308, before: 1e308), .range(Int64.min...Int64.max))
        for bad in [Double.nan, .infinity, -.infinity] {
            XCTAssertThrowsError(try V.timeWindow(after: bad, before: nil)) { XCTAssertEqual(($0 as? WireError)?.code, .invalidArgument) }
            XCTAssertThrowsError(try V.timeWindow(after: nil, before: bad)) { XCTAssertEqual(($0 as? WireError)?.code, .invalidArgument) }
        }
    }

    func testTextPathAndPhotoFieldsAreRangeChecked() throws {
        func code(_ body: () throws -> Any?) -> WireErrorCode? {
            do { _ = try body(); return nil } catch { return (error as? WireError)?.code }
        }
        XCTAssertEqual(try V.text("  dog \n"), "dog")
        XCTAssertEqual(code { try V.text("   ") }, .invalidArgument)
        XCTAssertEqual(code { try V.text(String(repeating: "a", count: Wire.maximumTextBytes + 1)) }, .invalidArgument)
        XCTAssertEqual(code { try V.text(String(repeating: " ", count: 1 << 20) + "a") }, .invalidArgument)
        XCTAssertEqual(code { try V.text("a\u{0}b") }, .invalidArgument)
        XCTAssertNil(try V.text(nil, optional: true))
        XCTAssertNil(try V.text("  ", optional: true))
        for k in [0, -1, Wire.maximumResults + 1, Int.max, Int.min] { XCTAssertEqual(code { try V.k(k) }, .invalidArgument, "k \(k)") }
        XCTAssertEqual(try V.folder("/a/b/"), "/a/b")
        XCTAssertEqual(try V.folder("/"), "/")
        XCTAssertEqual(code { try V.folder("relative/dir") }, .invalidArgument)
        XCTAssertEqual(code { try V.folder("/" + String(repeating: "x", count: Wire.maximumPathBytes)) }, .invalidArgument)
        XCTAssertEqual(code { try V.photo(PhotoReference(path: "/a\u{0}.jpg")) }, .invalidArgument)
        var both = PhotoReference(id: 3)
        both.path = "/a.jpg"
        XCTAssertEqual(code { try V.photo(both) }, .invalidArgument)
        XCTAssertEqual(try V.photo(PhotoReference(id: .max)).id, .max)
    }

    func testNumbersThatDoNotFitTheirFieldAreInvalidArgumentNamingIt() {
        func decoded(_ json: String) -> WireError? {
            if case .failure(let e) = ResponseEncoding.decodeRequest(Array(json.utf8)) { return e }
            return nil
        }
        let k = decoded(#"{"version":1,"id":1,"method":"search","params":{"text":"x","k":1e30,"filters":{}}}"#)
        XCTAssertEqual(k?.code, .invalidArgument)
        XCTAssertTrue(k?.message.contains("params.k") == true, "\(String(describing: k))")
        let id = decoded(#"{"version":1,"id":1,"method":"get","params":{"photo":{"id":-1}}}"#)
        XCTAssertEqual(id?.code, .invalidArgument)
        XCTAssertTrue(id?.message.contains("params.photo.id") == true, "\(String(describing: id))")
        XCTAssertEqual(decoded(#"{"version":1,"id":1,"method":"search","params":{"text":"x","k":3,"filters":{"modifiedAfter":1e400}}}"#)?.code,
                       .invalidArgument)
        // Not JSON at all stays malformed.
        XCTAssertEqual(decoded(#"{"version":1,"id":1,"method":"search","params":{"text":"x","k":3,"filters":{"modifiedAfter":NaN}}}"#)?.code,
                       .malformedRequest)
        XCTAssertEqual(decoded("{oops")?.code, .malformedRequest)
    }

    func testCalendarDays() {
        XCTAssertEqual(CalendarDay("1970-01-01")?.secondsSince1970, 0)
        XCTAssertEqual(CalendarDay("2024-06-01")?.secondsSince1970, 1_717_200_000)
        XCTAssertEqual(CalendarDay("1600-01-01")?.secondsSince1970, -11_676_096_000)
        XCTAssertEqual(CalendarDay("2263-01-01")?.secondsSince1970, 9_246_182_400)
        XCTAssertEqual(CalendarDay("2024-02-29")?.description, "2024-02-29")
        XCTAssertEqual(CalendarDay("2024-6-1")?.description, "2024-06-01")
        for bad in ["2023-02-29", "1900-02-29", "2024-13-01", "2024-04-31", "-2024-01-01", "20240-01-01", "0000-01-01",
                    "2024-01", "2024-01-01-01", "2024-+1-01", "２０２４-01-01", "", "today"] {
            XCTAssertNil(CalendarDay(bad), bad)
        }
    }

    /// Days and ISO 8601 times from seconds, the way `--json` prints `modified`;
    /// expected values are independent (Unix `date -u -d @N`).
    func testCalendarDaysFromSecondsAndISO8601() {
        for day in [-719_162, -1, 0, 1, 11_016, 19_875, 2_932_896] {   // 0001-01-01 … 9999-12-31
            XCTAssertEqual(CalendarDay(daysSince1970: day).daysSince1970, day)
        }
        XCTAssertEqual(CalendarDay(daysSince1970: 19_875).description, "2024-06-01")
        XCTAssertEqual(CalendarDay.iso8601(secondsSince1970: 0), "1970-01-01T00:00:00Z")
        XCTAssertEqual(CalendarDay.iso8601(secondsSince1970: 1_717_245_296.25), "2024-06-01T12:34:56.250Z")
        XCTAssertEqual(CalendarDay.iso8601(secondsSince1970: -1), "1969-12-31T23:59:59Z")
        XCTAssertEqual(CalendarDay.iso8601(secondsSince1970: 1e300), "9999-12-31T23:59:59.999Z")
        XCTAssertEqual(CalendarDay.iso8601(secondsSince1970: -.infinity), "1970-01-01T00:00:00Z")
    }

    /// The client learns the server's uid from the kernel (SO_PEERCRED) and
    /// sends nothing to a server running as anyone but the expected user.
    func testConnectionRefusesAServerOfAnotherUIDBeforeSendingAnything() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqh")
        let path = dir + "/impostor.sock"
        let listener = try Self.listen(path)
        defer { close(listener) }
        let other = getuid() &+ 1
        XCTAssertThrowsError(try DaemonConnection(path: path, timeout: 2, serverUID: other)) { error in
            guard case ConnectionError.untrustedServer(let p, let uid, let expected) = error else {
                return XCTFail("expected untrustedServer, got \(error)")
            }
            XCTAssertEqual(p, path)
            XCTAssertEqual(uid, getuid(), "the uid comes from the kernel")
            XCTAssertEqual(expected, other)
            XCTAssertTrue("\(error)".contains("served by uid \(getuid())"), "\(error)")
        }
        // The refused connection reached the listener and was closed with nothing sent.
        let accepted = accept(listener, nil, nil)
        XCTAssertGreaterThanOrEqual(accepted, 0)
        defer { close(accepted) }
        var byte: UInt8 = 0
        XCTAssertEqual(recv(accepted, &byte, 1, 0), 0, "the client sent bytes to an untrusted server")
        // The same server is trusted when it runs as the expected user.
        XCTAssertNoThrow(try DaemonConnection(path: path, timeout: 2))
    }

    /// The server's workers embed waiting query texts in one call; each
    /// vector must be the one a lone query gets.
    func testBatchedQueryEmbeddingsEqualOneAtATime() throws {
        _ = try TestEnvironment.model("minilm-l6.safetensors")
        _ = try TestEnvironment.model("imagenet-class-text.safetensors")
        let embedder = try ModelEmbedder(modelDirectory: TestEnvironment.modelDirectory, threads: 1)
        let texts = ["a dog on a beach", "pizza", "two people walking along a river at sunset with their bikes", "CAFÉ", "a"]
        let batch = try embedder.embedQueries(texts)
        XCTAssertEqual(batch.count, texts.count)
        for (text, vector) in zip(texts, batch) {
            let alone = try embedder.embedQuery(text)
            XCTAssertEqual(vector.count, alone.count, text)
            XCTAssertLessThan(zip(vector, alone).map { abs($0 - $1) }.max() ?? 1, 1e-5, text)
        }
    }

    /// k = 10,000 with features used to build a response past the client's
    /// frame limit on a large library; only the head carries features now.
    func testOnlyTheHeadOfALongResultListCarriesFeatures() throws {
        let d = try InProcessDaemon(self)
        d.configuration.batchSize = 256
        let count = Wire.maximumFeatureHits + 20
        for i in 0..<count { try FakePhoto.write(d.library + "/\(i / 100)/p\(i).jpg", seed: i) }
        try d.start()
        try d.settle("indexed", timeout: 120) { $0.indexed == count }
        let hits = try DaemonConnection(path: d.socketPath, timeout: 30).call(
            .search(SearchRequest(text: "x", k: Wire.maximumResults, includeFeatures: true, minScore: -1)), expecting: SearchResult.self).hits
        XCTAssertEqual(hits.count, count)
        XCTAssertTrue(hits.prefix(Wire.maximumFeatureHits).allSatisfy { $0.feature?.count == d.embedder.featureDimension })
        XCTAssertTrue(hits.dropFirst(Wire.maximumFeatureHits).allSatisfy { $0.feature == nil })
        XCTAssertEqual(try d.search("x", k: 5).map { $0.feature == nil }, Array(repeating: true, count: 5), "no features unless asked")
    }

    static func listen(_ path: String) throws -> Int32 {
        var addr = try UnixSocket.address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 16) == 0 else { throw SocketError("bind", errno: errno, path: path) }
        return fd
    }
}
