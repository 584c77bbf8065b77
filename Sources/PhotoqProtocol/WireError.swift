/// An error code on the wire. A struct over a string rather than an enum so
/// that a client keeps working when a newer daemon adds codes.
public struct WireErrorCode: RawRepresentable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The frame was not valid JSON or lacked required fields.
    public static let malformedRequest = WireErrorCode(rawValue: "malformed_request")
    /// The frame's announced length exceeded `Wire.maximumRequestBytes`.
    public static let requestTooLarge = WireErrorCode(rawValue: "request_too_large")
    /// The `method` is not one the daemon knows.
    public static let unknownMethod = WireErrorCode(rawValue: "unknown_method")
    /// The message's `version` is not `Wire.version`.
    public static let unsupportedVersion = WireErrorCode(rawValue: "unsupported_version")
    /// A well-formed request with a bad value (empty text, k out of range).
    public static let invalidArgument = WireErrorCode(rawValue: "invalid_argument")
    /// The photo id or path is not in the index.
    public static let notFound = WireErrorCode(rawValue: "not_found")
    /// The client's uid is not the daemon's.
    public static let permissionDenied = WireErrorCode(rawValue: "permission_denied")
    /// The client did not send a complete request in time.
    public static let timeout = WireErrorCode(rawValue: "timeout")
    /// Too many open connections; retry later.
    public static let busy = WireErrorCode(rawValue: "busy")
    /// The daemon failed; its log says why.
    public static let internalError = WireErrorCode(rawValue: "internal_error")
}

/// The error half of a response.
public struct WireError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: WireErrorCode
    public var message: String

    public init(_ code: WireErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
