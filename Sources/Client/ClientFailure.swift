import PhotoqProtocol

/// An error photoq reports: one line on stderr and an exit status.
public struct ClientFailure: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    /// Maps a connection or daemon error to what the user sees.
    public init(_ error: ConnectionError, socketPath: String) {
        switch error {
        case .unreachable(let e):
            self.init(.unavailable, """
                photoqd is not running (\(e)).
                Start it with `systemctl --user start photoqd.socket`, or run `photoqd --root ~/Pictures --socket \(socketPath)`.
                """)
        case .permissionDenied(let e):
            self.init(.permissionDenied, "\(e); the socket belongs to another user")
        case .untrustedServer:
            self.init(.permissionDenied, "\(error)")
        case .timedOut(let what):
            self.init(.temporaryFailure, "photoqd did not answer in time (\(what)); try again")
        case .protocolViolation(let what):
            self.init(.protocolError, "unexpected reply from photoqd: \(what)")
        case .daemon(let wire):
            let status: ExitStatus = switch wire.code {
            case .invalidArgument: .dataError
            case .notFound: .noInput
            case .permissionDenied: .permissionDenied
            case .busy, .timeout: .temporaryFailure
            case .unsupportedVersion, .unknownMethod, .malformedRequest, .requestTooLarge: .protocolError
            default: .software
            }
            self.init(status, "photoqd: \(wire.message)")
        }
    }
}
