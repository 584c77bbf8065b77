import FoundationEssentials
import Hummingbird
import PhotoqProtocol
import Thumbnails

/// The web app's endpoints. Photos are named only by index id and resolved
/// with photoqd's `get`, so a request can read nothing the index does not hold.
struct WebRoutes: Sendable {
    let gateway: DaemonGateway
    let explanation: PhotoExplanation
    let thumbnails: ThumbnailStore
    let policy: @Sendable () -> RequestPolicy

    func add(to router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in try self.page(request) }
        router.get("/app.js") { _, _ in Self.asset(WebAssets.script, "text/javascript; charset=utf-8") }
        router.get("/app.css") { _, _ in Self.asset(WebAssets.style, "text/css; charset=utf-8") }
        router.get("/api/search") { request, _ in try await self.search(request) }
        router.get("/api/similar") { request, _ in try await self.similar(request) }
        router.get("/api/explain") { request, _ in try await self.explain(request) }
        router.get("/api/photo") { request, _ in try await self.photoRecord(request) }
        router.get("/api/status") { _, _ in try Self.json(try await offload { [gateway] in try gateway.status() }) }
        router.get("/api/failed") { request, _ in try await self.failed(request) }
        router.get("/thumb/:id") { _, context in try await self.thumbnail(context) }
        router.get("/photo/:id") { _, context in try await self.photo(context) }
    }

    /// `/?token=…` trades the token for the cookie and drops it from the
    /// address bar (history, screen shares); plain `/` is the page.
    private func page(_ request: Request) throws -> Response {
        if let token = request.uri.queryParameters["token"] {
            let policy = policy()
            guard policy.token.matches(token) else { throw WebError(.unauthorized, "wrong access token") }
            var headers = HTTPFields()
            headers[.location] = "/"
            headers[.setCookie] = policy.cookie
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        return Self.asset(WebAssets.page, "text/html; charset=utf-8")
    }

    private func search(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        guard let text = query["q"].map(String.init)?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            throw WebError.missing("q")
        }
        let limit = try Self.limit(request)
        let filters = try Self.filters(request)
        let minScore = try Self.minScore(request)
        return try Self.json(try await offload { [gateway] in
            try gateway.search(text, limit: limit, filters: filters, minScore: minScore)
        })
    }

    private func similar(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        guard let id = query["id"].flatMap({ UInt64($0) }) else { throw WebError.missing("id") }
        let text = query["q"].map(String.init)?.trimmingCharacters(in: .whitespaces)
        let limit = try Self.limit(request)
        let filters = try Self.filters(request)
        return try Self.json(try await offload { [gateway] in
            try gateway.similar(to: id, text: text?.isEmpty == false ? text : nil, limit: limit, filters: filters)
        })
    }

    private func explain(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        guard let id = query["id"].flatMap({ UInt64($0) }) else { throw WebError.missing("id") }
        let text = query["q"].map(String.init)?.trimmingCharacters(in: .whitespaces)
        return try Self.json(try await offload { [gateway, explanation] in
            let record = try gateway.record(id)
            return try explanation.explain(id: id, path: record.losslessPath, query: text?.isEmpty == false ? text : nil)
        })
    }

    /// What the index records of one photo, for a photo view opened without its search.
    private func photoRecord(_ request: Request) async throws -> Response {
        guard let id = request.uri.queryParameters["id"].flatMap({ UInt64($0) }) else { throw WebError.missing("id") }
        return try Self.json(try await offload { [gateway] in PhotoDocument(try gateway.record(id)) })
    }

    private func failed(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let offset = query["offset"].flatMap { Int($0) } ?? 0
        let limit = min(max(query["limit"].flatMap { Int($0) } ?? 200, 1), FailuresRequest.maximumLimit)
        guard offset >= 0 else { throw WebError.missing("offset") }
        return try Self.json(try await offload { [gateway] in try gateway.failures(offset: offset, limit: limit) })
    }

    private func thumbnail(_ context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UInt64.self) else { throw WebError(.notFound, "no such photo") }
        let (bytes, type) = try await offload { [gateway, thumbnails] in
            try PhotoImages.thumbnail(path: try gateway.record(id).losslessPath, store: thumbnails)
        }
        return Self.image(bytes, type)
    }

    private func photo(_ context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: UInt64.self) else { throw WebError(.notFound, "no such photo") }
        let bytes = try await offload { [gateway] in try PhotoImages.photoJPEG(path: try gateway.record(id).losslessPath) }
        return Self.image(bytes, "image/jpeg")
    }

    // MARK: Parameters and responses

    private static func limit(_ request: Request) throws(WebError) -> Int {
        let query = request.uri.queryParameters
        guard let text = query["n"] else { return 40 }
        guard let n = Int(text), (1...Wire.maximumResults).contains(n) else {
            throw WebError(.badRequest, "n must be between 1 and \(Wire.maximumResults)")
        }
        return n
    }

    /// min_score: −1…1, replacing the model's relevance cutoff (−1 keeps every result).
    private static func minScore(_ request: Request) throws(WebError) -> Double? {
        guard let text = request.uri.queryParameters["min_score"], !text.isEmpty else { return nil }
        guard let value = Double(String(text)), value.isFinite, (-1...1).contains(value) else {
            throw WebError(.badRequest, "min_score must be between -1 and 1")
        }
        return value
    }

    /// after/before as YYYY-MM-DD (UTC days, as `photoq --after`), in as a folder.
    private static func filters(_ request: Request) throws(WebError) -> SearchFilters {
        let query = request.uri.queryParameters
        func day(_ name: Substring) throws(WebError) -> Double? {
            guard let text = query[name], !text.isEmpty else { return nil }
            guard let day = CalendarDay(String(text)) else { throw WebError(.badRequest, "\(name) expects YYYY-MM-DD") }
            return day.secondsSince1970
        }
        let folder = query["in"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        if let folder, !folder.hasPrefix("/") { throw WebError(.badRequest, "in expects an absolute folder") }
        return SearchFilters(folder: folder, modifiedAfter: try day("after"), modifiedBefore: try day("before"))
    }

    static func json(_ document: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(document))))
    }

    static func image(_ bytes: [UInt8], _ contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        // An id names one file version for as long as this server runs; private: never a shared cache.
        headers[.cacheControl] = "private, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func asset(_ text: String, _ contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
