/// Which requests the web app answers, decided from their headers alone so
/// the rules can be tested without a server. A browser page on another site
/// can make the browser send requests to 127.0.0.1; these rules are what
/// stops it (DNS rebinding: a foreign Host; CSRF: a foreign Origin; anything
/// else: no token).
public struct RequestPolicy: Sendable {
    public static let cookieName = "photoq_web"

    public let token: AccessToken
    public let port: Int

    public init(token: AccessToken, port: Int) {
        self.token = token
        self.port = port
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        /// 421 Misdirected Request: the Host is not this server's loopback name.
        case foreignHost
        /// 403: a cross-site page sent it.
        case foreignOrigin
        /// 401: neither the cookie nor the bearer token.
        case unauthenticated
    }

    /// The names this server answers to: the loopback addresses and localhost, with its port.
    public var allowedHosts: Set<String> {
        ["127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"]
    }

    public func isAllowedHost(_ host: String?) -> Bool {
        guard let host else { return false }
        return allowedHosts.contains(host.lowercased())
    }

    /// A missing Origin is a same-origin navigation or a non-browser client;
    /// a present one must be this server ("null" — sandboxed frames, file:// pages — is foreign).
    public func isAllowedOrigin(_ origin: String?) -> Bool {
        guard let origin else { return true }
        let lowered = origin.lowercased()
        return allowedHosts.contains { lowered == "http://" + $0 }
    }

    /// The token from the cookie header or from `Authorization: Bearer`.
    public func isAuthenticated(cookieHeader: String?, authorization: String?) -> Bool {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer", token.matches(parts[1]) { return true }
        }
        guard let cookieHeader else { return false }
        for pair in cookieHeader.split(separator: ";") {
            let trimmed = pair.drop(while: { $0 == " " })
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            if trimmed[..<equals] == Self.cookieName, token.matches(trimmed[trimmed.index(after: equals)...]) {
                return true
            }
        }
        return false
    }

    /// The checks in order: Host first (a rebinding page must learn nothing,
    /// not even whether its token guess was right), then Origin, then the token.
    /// `exchangesToken`: the request is `GET /?token=…`, which authenticates itself.
    public func verdict(host: String?, origin: String?, cookieHeader: String?, authorization: String?,
                        exchangesToken: Bool = false) -> Verdict {
        guard isAllowedHost(host) else { return .foreignHost }
        guard isAllowedOrigin(origin) else { return .foreignOrigin }
        if exchangesToken { return .allowed }
        return isAuthenticated(cookieHeader: cookieHeader, authorization: authorization) ? .allowed : .unauthenticated
    }

    /// Set on the redirect that takes the token out of the address bar.
    /// HttpOnly: page scripts never see it; SameSite=Strict: other sites' pages never send it.
    public var cookie: String {
        "\(Self.cookieName)=\(token.value); HttpOnly; SameSite=Strict; Path=/"
    }

    /// On every response, the page included.
    public static let securityHeaders: [(String, String)] = [
        ("Content-Security-Policy",
         "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; frame-ancestors 'none'"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]
}
