import PhotoqProtocol

/// Decides which folders are walked and which files are photos. Names are
/// matched by their bytes (`PathBytes`), never by Unicode equivalence.
public struct PathFilter: Sendable {
    /// Folder names (any depth) or absolute folder paths to skip.
    public let excludes: [String]

    public init(excludes: [String]) {
        self.excludes = excludes.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Hidden folders (".thumbnails", ".git", ".Trash-1000") are caches and
    /// copies, not the library; excludes are the user's own list.
    public func skipsDirectory(name: String, path: String) -> Bool {
        if name.utf8.first == UInt8(ascii: ".") { return true }
        for e in excludes {
            if e.hasPrefix("/") {
                if PathBytes.isWithin(path, e) { return true }
            } else if PathBytes.same(name, e) {
                return true
            }
        }
        return false
    }

    /// JPEG files by extension (the decoder is libjpeg); hidden files are
    /// editors' and downloaders' temporaries.
    public func isPhoto(name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.first != UInt8(ascii: "."), let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return false }
        // ASCII lowercase of the extension; any other byte makes it no match.
        let ext = String(decoding: bytes[(dot + 1)...].map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
        return ext == "jpg" || ext == "jpeg" || ext == "jpe"
    }

    /// Whether any folder between `root` and `path` (exclusive of root) is skipped.
    public func skipsPath(_ path: String, under root: String) -> Bool {
        let rootBytes = Array(root.utf8)
        let bytes = Array(path.utf8)
        guard bytes.count > rootBytes.count, bytes.starts(with: rootBytes), bytes[rootBytes.count] == UInt8(ascii: "/") else {
            return true
        }
        let components = bytes[(rootBytes.count + 1)...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        var current = rootBytes
        for component in components.dropLast() {
            current += [UInt8(ascii: "/")] + component
            let name = String(decoding: component, as: UTF8.self)
            if skipsDirectory(name: name, path: String(decoding: current, as: UTF8.self)) { return true }
        }
        return false
    }

    /// The last component of a path.
    static func name(of path: String) -> String {
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(decoding: bytes[bytes.index(after: slash)...], as: UTF8.self)
    }
}
