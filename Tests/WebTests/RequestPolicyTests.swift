import XCTest
@testable import WebApp

/// The rules that decide which requests the web app answers, without a server.
final class RequestPolicyTests: XCTestCase {
    let token = AccessToken(value: "0123456789abcdef0123456789abcdef")
    var policy: RequestPolicy { RequestPolicy(token: token, port: 8123) }

    func testTokensAre128RandomBitsInHex() {
        let tokens = (0..<64).map { _ in AccessToken.random().value }
        XCTAssertEqual(Set(tokens).count, tokens.count)
        XCTAssertTrue(tokens.allSatisfy { $0.count == 32 && $0.allSatisfy(\.isHexDigit) && $0 == $0.lowercased() })
        // All sixteen digits turn up: not a short alphabet.
        XCTAssertEqual(Set(tokens.joined()).count, 16)
    }

    func testTheTokenMatchesOnlyItself() {
        XCTAssertTrue(token.matches(token.value))
        XCTAssertFalse(token.matches(""))
        XCTAssertFalse(token.matches(token.value.dropLast()))
        XCTAssertFalse(token.matches(token.value + "0"))
        XCTAssertFalse(token.matches(token.value.uppercased()))
        XCTAssertFalse(token.matches("1" + token.value.dropFirst()))
    }

    func testHostMustBeThisServersLoopbackName() {
        for host in ["127.0.0.1:8123", "localhost:8123", "[::1]:8123", "LocalHost:8123"] {
            XCTAssertEqual(verdict(host: host), .allowed, host)
        }
        for host in [nil, "", "127.0.0.1", "localhost", "127.0.0.1:8124", "evil.example:8123", "127.0.0.2:8123",
                     "localhost.:8123", "0.0.0.0:8123", "[::1]", "127.0.0.1:8123.evil.example"] {
            XCTAssertEqual(verdict(host: host), .foreignHost, host ?? "nil")
        }
    }

    func testAPresentOriginMustBeThisServer() {
        XCTAssertEqual(verdict(origin: nil), .allowed)
        XCTAssertEqual(verdict(origin: "http://127.0.0.1:8123"), .allowed)
        XCTAssertEqual(verdict(origin: "http://localhost:8123"), .allowed)
        for origin in ["null", "", "http://evil.example", "https://127.0.0.1:8123", "http://127.0.0.1:8124",
                       "http://127.0.0.1:8123/", "file://"] {
            XCTAssertEqual(verdict(origin: origin), .foreignOrigin, origin)
        }
        // A foreign Host is refused before the Origin or the token is looked at.
        XCTAssertEqual(verdict(host: "evil.example:8123", origin: "http://evil.example"), .foreignHost)
    }

    func testCookieOrBearerTokenElse401() {
        XCTAssertEqual(verdict(cookie: nil, authorization: nil), .unauthenticated)
        XCTAssertEqual(verdict(cookie: "photoq_web=\(token.value)", authorization: nil), .allowed)
        XCTAssertEqual(verdict(cookie: "theme=dark; photoq_web=\(token.value); x=1", authorization: nil), .allowed)
        XCTAssertEqual(verdict(cookie: "photoq_web=\(token.value.dropLast())", authorization: nil), .unauthenticated)
        XCTAssertEqual(verdict(cookie: "other_photoq_web=\(token.value)", authorization: nil), .unauthenticated)
        XCTAssertEqual(verdict(cookie: nil, authorization: "Bearer \(token.value)"), .allowed)
        XCTAssertEqual(verdict(cookie: nil, authorization: "bearer \(token.value)"), .allowed)
        XCTAssertEqual(verdict(cookie: nil, authorization: "Basic \(token.value)"), .unauthenticated)
        XCTAssertEqual(verdict(cookie: nil, authorization: "Bearer"), .unauthenticated)
        XCTAssertEqual(verdict(cookie: nil, authorization: nil, exchanges: true), .allowed)
    }

    func testTheCookieIsHttpOnlyStrictAndHostOnly() {
        XCTAssertEqual(policy.cookie, "photoq_web=\(token.value); HttpOnly; SameSite=Strict; Path=/")
        let csp = RequestPolicy.securityHeaders.first { $0.0 == "Content-Security-Policy" }?.1
        XCTAssertEqual(csp, "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'")
    }

    private func verdict(host: String? = "127.0.0.1:8123", origin: String? = nil, cookie: String? = nil,
                         authorization: String? = "Bearer 0123456789abcdef0123456789abcdef",
                         exchanges: Bool = false) -> RequestPolicy.Verdict {
        policy.verdict(host: host, origin: origin, cookieHeader: cookie, authorization: authorization,
                       exchangesToken: exchanges)
    }
}
