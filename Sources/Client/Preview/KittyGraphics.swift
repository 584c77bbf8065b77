import FoundationEssentials

/// The kitty graphics protocol: a PNG sent as base64 in APC escapes
/// (`ESC _G keys;payload ESC \`), split into chunks of at most 4096 bytes;
/// the first chunk carries the keys, every chunk says whether more follow
/// (`m=1`) or not (`m=0`).
public enum KittyGraphics {
    public static let chunkSize = 4096

    /// `a=T` transmit and display at the cursor, `f=100` PNG, `q=2` no
    /// replies (they would land in the shell's input).
    public static func encode(png: [UInt8]) -> [UInt8] {
        let payload = Array(Data(png).base64EncodedString().utf8)
        var out: [UInt8] = []
        var offset = 0
        repeat {
            let end = min(offset + chunkSize, payload.count)
            let more = end < payload.count
            let keys = offset == 0 ? "a=T,f=100,q=2,m=\(more ? 1 : 0)" : "m=\(more ? 1 : 0)"
            out += Array("\u{1B}_G\(keys);".utf8)
            out += payload[offset..<end]
            out += [0x1B, UInt8(ascii: "\\")]
            offset = end
        } while offset < payload.count
        return out
    }
}
