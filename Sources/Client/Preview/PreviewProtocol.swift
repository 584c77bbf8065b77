/// The inline-image protocols photoq can speak to a terminal.
public enum PreviewProtocol: String, Sendable, CaseIterable {
    /// The kitty graphics protocol (kitty, WezTerm, Ghostty, Konsole).
    case kitty
    /// iTerm2's inline images (OSC 1337 File=; also WezTerm, mintty).
    case iterm
    /// DEC sixel graphics (xterm -ti vt340, foot, mlterm, Windows Terminal).
    case sixel
}
