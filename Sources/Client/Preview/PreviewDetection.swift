/// Which protocol, if any, to show previews with. Pure: the terminal's
/// reply to a device-attributes query is passed in, so the whole table is
/// testable without a terminal.
public enum PreviewDetection {
    /// The outcome of asking for previews.
    public enum Outcome: Equatable, Sendable {
        case show(PreviewProtocol)
        /// stdout is not a terminal: plain output, and nothing said about it.
        case notATerminal
        /// A terminal that shows no inline images: plain output and a hint.
        case unsupported
    }

    /// - Parameters:
    ///   - forced: the protocol named by `--preview=PROTO`, which skips detection.
    ///   - deviceAttributes: asks the terminal (Primary DA, `ESC [ c`) and
    ///     returns its reply, nil on timeout; only called when the
    ///     environment does not already say.
    public static func decide(forced: PreviewProtocol?, standardOutputIsTerminal: Bool,
                              environment: [String: String],
                              deviceAttributes: () -> [UInt8]?) -> Outcome {
        guard standardOutputIsTerminal else { return .notATerminal }
        if let forced { return .show(forced) }
        if let known = fromEnvironment(environment) { return .show(known) }
        if let reply = deviceAttributes(), supportsSixel(reply) { return .show(.sixel) }
        return .unsupported
    }

    /// kitty says so in `KITTY_WINDOW_ID` and `TERM`; iTerm2 and WezTerm in
    /// `TERM_PROGRAM` (WezTerm speaks both; the iTerm2 protocol keeps its
    /// images in tmux-free scrollback more reliably).
    public static func fromEnvironment(_ environment: [String: String]) -> PreviewProtocol? {
        if let window = environment["KITTY_WINDOW_ID"], !window.isEmpty { return .kitty }
        if environment["TERM"] == "xterm-kitty" { return .kitty }
        if let program = environment["TERM_PROGRAM"], ["iTerm.app", "WezTerm"].contains(program) { return .iterm }
        return nil
    }

    /// A Primary DA reply is `ESC [ ? P1 ; P2 ; … c`; attribute 4 means sixel graphics.
    public static func supportsSixel(_ reply: [UInt8]) -> Bool {
        guard let start = reply.firstIndex(of: UInt8(ascii: "[")),
              let end = reply[start...].firstIndex(of: UInt8(ascii: "c")) else { return false }
        let body = String(decoding: reply[(start + 1)..<end], as: UTF8.self)
        let attributes = body.drop { $0 == "?" }.split(separator: ";")
        return attributes.dropFirst().contains("4")   // the first number is the terminal class
    }

    /// The one line for stderr when the terminal shows no images.
    public static let hint = "photoq: this terminal shows no inline images (kitty, iTerm2 or sixel); "
        + "printing paths. Force one with --preview=kitty, --preview=iterm or --preview=sixel."
}
