import Client
import Hummingbird

/// Every failure a handler can meet, as the status and one line of text the
/// browser gets. The single place where daemon and decoding errors become HTTP.
public struct WebError: Error, HTTPResponseError, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    /// photoqd's answers by exit status: a photo not in the index is a 404, bad input a 400,
    /// a missing daemon or model a 503.
    init(_ failure: ClientFailure) {
        let status: HTTPResponse.Status = switch failure.status {
        case .noInput: .notFound
        case .dataError, .usage: .badRequest
        case .unavailable, .unavailableFeature, .temporaryFailure: .serviceUnavailable
        case .permissionDenied: .forbidden
        default: .badGateway
        }
        self.init(status, failure.message)
    }

    static func missing(_ parameter: String) -> WebError { WebError(.badRequest, "missing or invalid parameter \(parameter)") }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
