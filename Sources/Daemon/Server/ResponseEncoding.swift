import Foundation
import PhotoqProtocol

/// Encodes response envelopes; an encoding failure becomes an internal_error response.
enum ResponseEncoding {
    static func result<R: Codable & Sendable>(_ result: R, id: Int) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(ResponseEnvelope(id: id, result: result))) } catch {
            return self.error(WireError(.internalError, "cannot encode response: \(error)"), id: id)
        }
    }

    static func error(_ error: WireError, id: Int) -> [UInt8] {
        // Encoding two strings and two integers cannot fail.
        Array((try? JSONEncoder().encode(ResponseEnvelope<NoResult>(id: id, error: error))) ?? Data())
    }

    /// Decodes a request body, mapping every failure to the typed wire error the client gets.
    static func decodeRequest(_ body: [UInt8]) -> Result<RequestEnvelope, WireError> {
        do {
            return .success(try JSONDecoder().decode(RequestEnvelope.self, from: Data(body)))
        } catch let e as RequestEnvelope.UnknownMethod {
            return .failure(WireError(.unknownMethod, "unknown method `\(e.method)` (known: search, similar, get, status, reindex)"))
        } catch let e as RequestEnvelope.UnsupportedVersion {
            return .failure(WireError(.unsupportedVersion, "protocol version \(e.version) is not supported; this photoqd speaks version \(Wire.version)"))
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            return .failure(RequestDiagnosis.explain(body))
        } catch {
            return .failure(WireError(.malformedRequest, "request is not a valid JSON message: \(describe(error))"))
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing field `\(key.stringValue)`"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "wrong type at `\(c.codingPath.map(\.stringValue).joined(separator: "."))`"
        case DecodingError.dataCorrupted(let c): c.debugDescription
        default: "\(error)"
        }
    }
}
