import Foundation
import PhotoqProtocol

/// JSONDecoder reports a number that does not fit its field (k = 1e30,
/// a photo id of -1, a date of 1e400) as "not valid JSON" without saying
/// where. This finds the field, so the client gets `invalid_argument` naming
/// it, and keeps `malformed_request` for text that really is not JSON.
enum RequestDiagnosis {
    /// The integer fields of every request, by their path in the envelope.
    private static let integerFields: [(path: [String], unsigned: Bool)] = [
        (["version"], false), (["id"], false), (["params", "k"], false), (["params", "photo", "id"], true),
    ]

    /// Why `body`, which JSONDecoder refused as corrupted, was refused.
    static func explain(_ body: [UInt8]) -> WireError {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(body)) } catch {
            let detail = ((error as NSError).userInfo["NSDebugDescription"] as? String) ?? "\(error)"
            // "Number 1e400 is not representable in Swift."
            if detail.contains("not representable") {
                return WireError(.invalidArgument, "a number in the request is out of range: \(detail)")
            }
            return WireError(.malformedRequest, "request is not a valid JSON message: \(detail)")
        }
        for field in integerFields {
            guard let number = value(at: field.path, in: object) as? NSNumber else { continue }
            let d = number.doubleValue
            let fits = d.rounded() == d && (field.unsigned ? (0..<0x1p64).contains(d) : (-0x1p63..<0x1p63).contains(d))
            if !fits {
                let kind = field.unsigned ? "a non-negative integer" : "an integer"
                return WireError(.invalidArgument, "`\(field.path.joined(separator: "."))` must be \(kind) that fits 64 bits, not \(number)")
            }
        }
        return WireError(.malformedRequest, "request is not a valid JSON message: a value does not fit its field")
    }

    private static func value(at path: [String], in object: Any) -> Any? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}
