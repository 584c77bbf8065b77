import Foundation

/// The canonical `file://` URI of a local path, as the thumbnail standard
/// hashes it. Escaping follows GLib's `g_filename_to_uri` (what GNOME, Xfce
/// and most thumbnailers use), so the MD5 names match theirs: RFC 3986
/// unreserved characters, `/`, and the sub-delimiters and `:` `@` a path may
/// carry unescaped stay as they are, except `;`; every other byte (spaces,
/// `%`, `#`, `?`, non-ASCII UTF-8) becomes `%XX` with upper-case hex.
public enum FileURI {
    /// `path` made absolute (against the working directory) and cleaned of
    /// `.`, `..` and repeated slashes, without resolving symbolic links (as
    /// file managers see the path), then escaped.
    public static func canonical(path: String) -> String {
        "file://" + escape(Array(absolute(path).utf8))
    }

    static func escape(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            if isKept(byte) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isKept(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("-._~/!$&'()*+,=:@".utf8).contains(byte)
        }
    }

    static func absolute(_ path: String) -> String {
        let rooted = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in rooted.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
