/// `--preview[=PROTO]` for ArgumentParser, which has no optional-value
/// options: `--preview=kitty` becomes `--preview --preview-protocol kitty`
/// before parsing. Arguments after `--` are text and stay as they are.
public enum PreviewArguments {
    public static let protocolOption = "--preview-protocol"

    public static func expand(_ arguments: [String]) -> [String] {
        var out: [String] = []
        var textOnly = false
        for argument in arguments {
            if textOnly {
                out.append(argument)
            } else if argument == "--" {
                textOnly = true
                out.append(argument)
            } else if argument.hasPrefix("--preview=") {
                out += ["--preview", protocolOption, String(argument.dropFirst("--preview=".count))]
            } else {
                out.append(argument)
            }
        }
        return out
    }

    /// The protocol named by `--preview=NAME`; nil for an unknown name.
    public static func parse(_ name: String) -> PreviewProtocol? {
        switch name.lowercased() {
        case "kitty": return .kitty
        case "iterm", "iterm2": return .iterm
        case "sixel": return .sixel
        default: return nil
        }
    }
}
