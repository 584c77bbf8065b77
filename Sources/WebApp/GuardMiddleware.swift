import HTTPTypes
import Hummingbird

/// Applies `RequestPolicy` to every request before any route runs, and adds
/// the security headers to every response, error responses included.
struct GuardMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: @Sendable () -> RequestPolicy

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let policy = policy()
        var response: Response
        switch policy.verdict(host: request.head.authority, origin: request.headers[.origin],
                              cookieHeader: request.headers[.cookie], authorization: request.headers[.authorization],
                              exchangesToken: Self.exchangesToken(request)) {
        case .foreignHost:
            response = Self.refusal(.misdirectedRequest, "this server answers only to 127.0.0.1, localhost and [::1] on its port")
        case .foreignOrigin:
            response = Self.refusal(.forbidden, "cross-site requests are refused")
        case .unauthenticated:
            response = Self.refusal(.unauthorized, "open the address `photoq --web` printed (it carries the access token)")
        case .allowed:
            do { response = try await next(request, context) } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            } catch {
                context.logger.error("\(request.uri.path): \(error)")
                response = Self.refusal(.internalServerError, "internal error")
            }
        }
        for (name, value) in RequestPolicy.securityHeaders {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }

    /// `GET /?token=…`, the address photoq --web printed: checked by its route, not here.
    static func exchangesToken(_ request: Request) -> Bool {
        request.method == .get && request.uri.path == "/" && request.uri.queryParameters["token"] != nil
    }

    static func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
