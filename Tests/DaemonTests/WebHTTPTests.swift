import Foundation
import Glibc
import XCTest
import TestSupport
import Thumbnails

/// The web app at the HTTP level, without a browser: the real photoq →
/// photoq-web hand-over in front of a real photoqd on the sample photos.
final class WebHTTPTests: XCTestCase {
    static let csp = "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'"

    func testTheTokenIsRequiredAndTradedForAStrictCookie() throws {
        let (_, web) = try WebFixture.start(self, prefix: "pqw-token")

        // Nothing without the token: not the page, not the API, not a thumbnail.
        for path in ["/", "/app.js", "/api/status", "/api/search?q=dog", "/thumb/1", "/photo/1"] {
            XCTAssertEqual(try web.request(path, authorized: false).status, 401, path)
        }
        let wrong = String(web.token.reversed())
        XCTAssertEqual(try web.request("/api/status", headers: [("Authorization", "Bearer \(wrong)")],
                                       authorized: false).status, 401)
        XCTAssertEqual(try web.request("/api/status", headers: [("Authorization", "Bearer \(web.token.prefix(31))")],
                                       authorized: false).status, 401, "a prefix of the token is not the token")
        XCTAssertEqual(try web.request("/?token=\(wrong)", authorized: false).status, 401)
        XCTAssertEqual(try web.request("/api/status").status, 200, "the bearer token is enough")

        // The printed address: a redirect to / that sets the cookie, then the cookie is enough.
        let exchange = try web.request("/?token=\(web.token)", authorized: false)
        XCTAssertEqual(exchange.status, 303)
        XCTAssertEqual(exchange.headers["location"], "/")
        let cookie = try XCTUnwrap(exchange.headers["set-cookie"])
        let attributes = Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) })
        XCTAssertTrue(attributes.isSuperset(of: ["HttpOnly", "SameSite=Strict", "Path=/"]), cookie)
        XCTAssertFalse(attributes.contains { $0.lowercased().hasPrefix("domain") }, "a host-only cookie")
        let pair = try XCTUnwrap(cookie.split(separator: ";").first).trimmingCharacters(in: .whitespaces)
        let page = try web.request("/", headers: [("Cookie", "other=1; " + pair)], authorized: false)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.headers["content-type"]?.hasPrefix("text/html") == true)
        XCTAssertTrue(page.text.contains("<script src=\"/app.js\""), page.text)
        XCTAssertEqual(try web.request("/api/status", headers: [("Cookie", "photoq_web=\(wrong)")],
                                       authorized: false).status, 401)

        // The status document the status line reads.
        let status = try web.request("/api/status").json()
        XCTAssertEqual(status["version"] as? Int, 1)
        XCTAssertEqual(status["indexed"] as? Int, try SamplePhotos.samples().count)
        XCTAssertEqual(status["pending"] as? Int, 0)
        XCTAssertNotNil(status["failed"] as? Int)
        XCTAssertEqual(try web.request("/api/failed").json()["total"] as? Int, 0)

        // Stops on SIGTERM, with status 0.
        XCTAssertEqual(web.terminate(), 0, web.log)
    }

    func testForeignHostsAndOriginsAreRefusedAndEveryResponseCarriesTheSecurityHeaders() throws {
        let (_, web) = try WebFixture.start(self, prefix: "pqw-host")
        let port = web.port
        // DNS rebinding: another name, or another port, pointing at this server.
        for host in ["evil.example:\(port)", "evil.example", "127.0.0.1", "127.0.0.1:\(port + 1)",
                     "localhost.evil.example:\(port)", "192.168.1.10:\(port)"] {
            let r = try web.request("/api/status", host: host)
            XCTAssertTrue([403, 421].contains(r.status), "\(host): \(r.status)")
        }
        for host in ["127.0.0.1:\(port)", "localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)"] {
            XCTAssertEqual(try web.request("/api/status", host: host).status, 200, host)
        }
        // CSRF: a page elsewhere posting at us carries its own Origin.
        for origin in ["http://evil.example", "null", "http://127.0.0.1:\(port + 1)", "https://127.0.0.1:\(port)"] {
            XCTAssertEqual(try web.request("/api/search?q=dog", headers: [("Origin", origin)]).status, 403, origin)
        }
        XCTAssertEqual(try web.request("/api/search?q=dog", headers: [("Origin", "http://127.0.0.1:\(port)")]).status, 200)

        // The same headers on the page, an API answer, an image and a refusal.
        for (path, authorized) in [("/", true), ("/api/status", true), ("/app.css", true), ("/api/status", false)] {
            let r = try web.request(path, authorized: authorized)
            XCTAssertEqual(r.headers["content-security-policy"], Self.csp, path)
            XCTAssertEqual(r.headers["x-content-type-options"], "nosniff", path)
            XCTAssertEqual(r.headers["referrer-policy"], "no-referrer", path)
        }
        XCTAssertEqual(try web.request("/app.js").headers["content-type"], "text/javascript; charset=utf-8")
        // Nothing from elsewhere: no URL to another host in the page, script or style.
        for asset in ["/", "/app.js", "/app.css"] {
            let text = try web.request(asset).text
            XCTAssertFalse(text.contains("http://") || text.contains("https://") || text.contains("//cdn"), asset)
        }

        // Listening on loopback only: every socket on the port is 127.0.0.1 or ::1.
        let listeners = try Self.listeningAddresses(port: port)
        XCTAssertTrue(listeners.contains("0100007F"), "listens on 127.0.0.1: \(listeners)")
        XCTAssertTrue(listeners.allSatisfy { $0 == "0100007F" || $0 == "00000000000000000000000001000000" },
                      "only loopback: \(listeners)")
    }

    func testSearchSimilarExplainAndImagesGoByIndexIdOnly() throws {
        let (daemon, web) = try WebFixture.start(self, prefix: "pqw-api")
        let search = try web.request("/api/search?q=a%20dog&n=3&min_score=-1")
        XCTAssertEqual(search.status, 200, search.text)
        XCTAssertEqual(search.headers["content-type"], "application/json")
        let doc = try search.json()
        XCTAssertEqual(doc["version"] as? Int, 1)
        let results = try XCTUnwrap(doc["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 3)
        let first = try XCTUnwrap(results.first)
        XCTAssertEqual((first["path"] as? String).map { ($0 as NSString).lastPathComponent }, "dog.jpg")
        let dog = try XCTUnwrap(first["id"] as? Int)
        XCTAssertEqual(first["thumbnail"] as? String, "/thumb/\(dog)")
        XCTAssertNotNil(first["score"] as? Double)
        XCTAssertNotNil(first["modified"] as? String)
        // The same order as photoq prints.
        let cli = try daemon.photoq(["--min-score", "-1", "--json", "-n", "3", "a dog"])
        let cliIDs = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(cli.stdout.utf8)) as? [String: Any])?["results"]
            as? [[String: Any]]).map { $0["id"] as? Int }
        XCTAssertEqual(results.map { $0["id"] as? Int }, cliIDs)

        // The relevance cutoff applies unless replaced: nonsense finds nothing.
        let nonsense = try web.request("/api/search?q=asdfghjkl").json()
        XCTAssertEqual((nonsense["results"] as? [Any])?.count, 0)
        XCTAssertGreaterThan(nonsense["below_min_score"] as? Int ?? 0, 0)
        XCTAssertEqual(try web.request("/api/search?q=dog&min_score=2").status, 400)

        // Filters: a folder outside the library, a date range before any photo.
        XCTAssertEqual((try web.request("/api/search?q=dog&in=/nowhere").json()["results"] as? [Any])?.count, 0)
        XCTAssertEqual((try web.request("/api/search?q=dog&before=1971-01-01").json()["results"] as? [Any])?.count, 0)
        XCTAssertEqual(try web.request("/api/search?q=dog&after=yesterday").status, 400)
        XCTAssertEqual(try web.request("/api/search?q=%20").status, 400)
        XCTAssertEqual(try web.request("/api/search?q=dog&n=0").status, 400)

        // The thumbnail is the freedesktop "large" one, stored in the shared cache (0600) and served from it.
        let thumb = try web.request("/thumb/\(dog)")
        XCTAssertEqual(thumb.status, 200)
        XCTAssertEqual(thumb.headers["content-type"], "image/png")
        XCTAssertTrue(thumb.body.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let dogPath = try XCTUnwrap(first["path"] as? String)
        let cached = ThumbnailStore(cacheHome: web.cacheHome).thumbnailPath(forPath: dogPath, size: .large)
        XCTAssertEqual(FileManager.default.contents(atPath: cached).map { [UInt8]($0) }, thumb.body)
        let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: cached)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o777, 0o600)
        XCTAssertEqual(try web.request("/thumb/\(dog)").body, thumb.body)
        // The photo: a JPEG of the indexed file, upright, within its bound.
        let photo = try web.request("/photo/\(dog)")
        XCTAssertEqual(photo.status, 200)
        XCTAssertEqual(photo.headers["content-type"], "image/jpeg")
        let size = try Self.jpegSize(photo.body)
        XCTAssertEqual([size.width, size.height], [768, 576], "the sample dog.jpg, upright, not scaled")
        XCTAssertGreaterThan(photo.body.count, thumb.body.count)

        // More like this: the same photos as photoq --similar, without the photo itself.
        let similar = try XCTUnwrap(try web.request("/api/similar?id=\(dog)&n=4").json()["results"] as? [[String: Any]])
        XCTAssertEqual(similar.count, 4)
        XCTAssertFalse(similar.contains { $0["id"] as? Int == dog })
        let cliSimilar = try daemon.photoq(["--json", "-n", "4", "--similar", String(dog)])
        XCTAssertEqual(similar.map { $0["id"] as? Int },
                       try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(cliSimilar.stdout.utf8)) as? [String: Any])?["results"]
                           as? [[String: Any]]).map { $0["id"] as? Int })
        let refined = try web.request("/api/similar?id=\(dog)&q=on%20grass&n=4")
        XCTAssertEqual(refined.status, 200, refined.text)
        XCTAssertEqual((try refined.json()["results"] as? [Any])?.count, 4)

        // Why: a PNG heat map and the query's words with scores.
        let explain = try web.request("/api/explain?id=\(dog)&q=a%20dog")
        XCTAssertEqual(explain.status, 200, explain.text)
        let why = try explain.json()
        XCTAssertEqual(why["query"] as? String, "a dog")
        let words = try XCTUnwrap(why["words"] as? [[String: Any]])
        XCTAssertEqual(words.compactMap { $0["word"] as? String }, ["dog"], "the query's content words")
        XCTAssertTrue(words.allSatisfy { ($0["score"] as? Double)?.isFinite == true })
        let map = try XCTUnwrap(why["map"] as? String)
        XCTAssertTrue(map.hasPrefix("data:image/png;base64,"))
        let png = [UInt8](try XCTUnwrap(Data(base64Encoded: String(map.dropFirst("data:image/png;base64,".count)))))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        let be = { (at: Int) in png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        XCTAssertEqual([be(16), be(20)], [512, 384], "the photo's 4:3 aspect at 512 wide")

        // Unknown ids, non-ids and any attempt at a path are 404s (or 400 for the API).
        for path in ["/thumb/987654", "/photo/987654", "/thumb/abc", "/photo/-1", "/thumb/1.jpg",
                     "/thumb/../../etc/passwd", "/photo/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/photo//etc/passwd",
                     "/static/../../etc/passwd", "/etc/passwd", "/thumb/", "/photo"] {
            let r = try web.request(path)
            XCTAssertEqual(r.status, 404, "\(path): \(r.text)")
            XCTAssertFalse(r.text.contains("root:"), path)
        }
        XCTAssertEqual(try web.request("/api/explain?id=987654&q=dog").status, 404)
        XCTAssertEqual(try web.request("/api/similar?id=987654").status, 404)
        XCTAssertEqual(try web.request("/api/similar?id=../etc/passwd").status, 400)
        XCTAssertEqual(try web.request("/api/photo?id=\(dog)").json()["path"] as? String, first["path"] as? String)
    }

    func testPortFlagsAndAnUnreachableDaemon() throws {
        let dir = try TestEnvironment.temporaryDirectory(self, prefix: "pqw-flags")
        let photoq = try DaemonProcess.binary("photoq")
        XCTAssertEqual(try TestEnvironment.run(photoq, ["--port", "8080", "dog"]).status, 64, "--port is for --web")
        XCTAssertEqual(try TestEnvironment.run(photoq, ["--web", "--port", "70000"]).status, 64)
        XCTAssertEqual(try TestEnvironment.run(photoq, ["--web", "--status"]).status, 64)
        // Without a daemon the app still starts, and says so through the API (503), not by dying.
        let web = try WebAppProcess(self, socket: dir + "/none.sock", directory: dir)
        let status = try web.request("/api/status")
        XCTAssertEqual(status.status, 503)
        XCTAssertTrue(status.text.contains("photoqd is not running"), status.text)
        XCTAssertEqual(try web.request("/api/search?q=dog").status, 503)
        XCTAssertEqual(try web.request("/").status, 200)
        // A fixed port is used as given.
        let fixed = Self.freePort()
        let second = try WebAppProcess(self, socket: dir + "/none.sock", directory: dir, arguments: ["--port", String(fixed)])
        XCTAssertEqual(second.port, fixed)
        XCTAssertEqual(web.terminate(), 0)
        XCTAssertEqual(second.terminate(), 0)
    }

    // MARK: Helpers

    /// Local addresses (hex as /proc/net/tcp writes them) of sockets listening on `port`.
    static func listeningAddresses(port: Int) throws -> [String] {
        let hexPort = String(format: "%04X", port)
        var addresses: [String] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 3, fields[3] == "0A" else { continue }  // 0A: LISTEN
                let local = fields[1].split(separator: ":")
                if local.count == 2 && local[1] == hexPort { addresses.append(String(local[0])) }
            }
        }
        return addresses
    }

    /// Width and height from a JPEG's first SOF marker.
    static func jpegSize(_ bytes: [UInt8]) throws -> (width: Int, height: Int) {
        var at = 2
        while at + 9 < bytes.count {
            guard bytes[at] == 0xFF else { at += 1; continue }
            let marker = bytes[at + 1]
            let length = Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
                return (Int(bytes[at + 7]) << 8 | Int(bytes[at + 8]), Int(bytes[at + 5]) << 8 | Int(bytes[at + 6]))
            }
            at += 2 + length
        }
        throw DaemonProcess.Failure("no SOF marker")
    }

    /// A port nothing listens on right now.
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length); return getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
