import FoundationEssentials

/// iTerm2's inline-image escape: `ESC ] 1337 ; File=ARGS : base64 BEL`.
public enum ITermImage {
    /// `name` is shown by iTerm2 when the image is saved; `width`/`height`
    /// in pixels keep the thumbnail at its own size instead of the cell width.
    public static func encode(png: [UInt8], name: String, width: Int, height: Int) -> [UInt8] {
        let arguments = [
            "name=" + Data(name.utf8).base64EncodedString(),
            "size=\(png.count)",
            "width=\(width)px",
            "height=\(height)px",
            "preserveAspectRatio=1",
            "inline=1",
        ].joined(separator: ";")
        return Array("\u{1B}]1337;File=\(arguments):".utf8) + Array(Data(png).base64EncodedString().utf8) + [0x07]
    }
}
