/// Decides which folders are walked and which files are photos.
public struct PathFilter: Sendable {
    /// Folder names (any depth) or absolute folder paths to skip.
    public let excludes: [String]

    public init(excludes: [String]) {
        self.excludes = excludes.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Hidden folders (".thumbnails", ".git", ".Trash-1000") are caches and
    /// copies, not the library; excludes are the user's own list.
    public func skipsDirectory(name: String, path: String) -> Bool {
        if name.hasPrefix(".") { return true }
        for e in excludes {
            if e.hasPrefix("/") {
                if path == e || path.hasPrefix(e + "/") { return true }
            } else if name == e {
                return true
            }
        }
        return false
    }

    /// JPEG files by extension (the decoder is libjpeg); hidden files are
    /// editors' and downloaders' temporaries.
    public func isPhoto(name: String) -> Bool {
        guard !name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return false }
        let ext = name[name.index(after: dot)...].lowercased()
        return ext == "jpg" || ext == "jpeg" || ext == "jpe"
    }

    /// Whether any folder between `root` and `path` (exclusive of root) is skipped.
    public func skipsPath(_ path: String, under root: String) -> Bool {
        guard path.hasPrefix(root + "/") else { return true }
        var current = root
        let rest = path.dropFirst(root.count + 1).split(separator: "/")
        for component in rest.dropLast() {
            current += "/" + component
            if skipsDirectory(name: String(component), path: current) { return true }
        }
        return false
    }
}
