/// The still-image formats photoq decodes, each through one library.
public enum ImageFormat: String, CaseIterable, Sendable, CustomStringConvertible {
    case jpeg, png, webp, heif, avif, tiff, gif, bmp
    /// Camera raw files (DNG, CR2, CR3, NEF, ARW, RAF, ORF, RW2 and others LibRaw knows).
    case raw

    /// File name extensions (lower case, no dot) for files of this format.
    /// The decoder itself goes by magic bytes; these only tell a watcher
    /// which files are worth opening.
    public var extensions: [String] {
        switch self {
        case .jpeg: return ["jpg", "jpeg", "jpe", "jfif"]
        case .png: return ["png"]
        case .webp: return ["webp"]
        case .heif: return ["heic", "heif", "hif"]
        case .avif: return ["avif"]
        case .tiff: return ["tif", "tiff"]
        case .gif: return ["gif"]
        case .bmp: return ["bmp", "dib"]
        case .raw: return ["dng", "cr2", "cr3", "crw", "nef", "nrw", "arw", "srf", "sr2", "raf", "orf", "rw2",
                           "pef", "srw", "raw", "rwl", "3fr", "iiq", "erf", "mrw", "x3f", "kdc", "dcr", "mos"]
        }
    }

    /// Every extension any format uses: the one list a file watcher asks for.
    public static let allExtensions: Set<String> = Set(allCases.flatMap(\.extensions))

    /// Whether a file name's extension belongs to a format photoq decodes.
    public static func hasImageExtension(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: ".") else { return false }
        return allExtensions.contains(name[name.index(after: dot)...].lowercased())
    }

    public var description: String {
        switch self {
        case .jpeg: return "JPEG"
        case .png: return "PNG"
        case .webp: return "WebP"
        case .heif: return "HEIF"
        case .avif: return "AVIF"
        case .tiff: return "TIFF"
        case .gif: return "GIF"
        case .bmp: return "BMP"
        case .raw: return "camera raw"
        }
    }
}
