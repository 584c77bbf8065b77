import Glibc

/// Where and how a rendered explanation is saved: only formats photoq can
/// write (a .webp name is refused rather than filled with a JPEG), private
/// to the user (0600, in a 0700 folder when photoq picks the place).
public enum HeatMapOutput {
    public enum Format: String, Sendable { case png, jpeg }

    /// The format a path asks for by its extension.
    public static func format(forPath path: String) throws(HeatMapOutputError) -> Format {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            throw .unsupportedExtension(path: path)
        }
        switch name[name.index(after: dot)...].lowercased() {
        case "png": return .png
        case "jpg", "jpeg": return .jpeg
        default: throw .unsupportedExtension(path: path)
        }
    }

    /// `$XDG_RUNTIME_DIR/photoq/NAME` (a per-user tmpfs), else
    /// `$XDG_CACHE_HOME/photoq/NAME`, else `~/.cache/photoq/NAME`.
    public static func defaultPath(name: String, environment: [String: String]) -> String {
        func nonEmpty(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        var isFolder = stat()
        if let runtime = nonEmpty("XDG_RUNTIME_DIR"), stat(runtime, &isFolder) == 0, (isFolder.st_mode & S_IFMT) == S_IFDIR {
            return runtime + "/photoq/" + name
        }
        let cache = nonEmpty("XDG_CACHE_HOME") ?? (nonEmpty("HOME") ?? "/") + "/.cache"
        return cache + "/photoq/" + name
    }

    /// Encodes by the path's extension.
    public static func encode(_ image: RGBImage, forPath path: String) throws -> [UInt8] {
        switch try format(forPath: path) {
        case .png: return try PNGEncoder.encode(image)
        case .jpeg: return try JPEGEncoder.encode(image, quality: 90)
        }
    }

    /// Writes the picture privately (PrivateFile.write).
    public static func write(_ bytes: [UInt8], to path: String, createFolder: Bool = false) throws(HeatMapOutputError) {
        do { try PrivateFile.write(bytes, to: path, createFolder: createFolder) } catch {
            throw .unwritable(path: path, reason: error.reason)
        }
    }
}
public enum HeatMapOutputError: Error, CustomStringConvertible, Equatable {
    /// Not .png, .jpg or .jpeg: photoq writes no other format.
    case unsupportedExtension(path: String)
    case unwritable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupportedExtension(path):
            return "cannot write \(path): the picture is saved as PNG (.png) or JPEG (.jpg, .jpeg)"
        case let .unwritable(path, reason):
            return "cannot write \(path): \(reason) (does its folder exist and is it writable?)"
        }
    }
}
