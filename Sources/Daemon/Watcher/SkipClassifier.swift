import Glibc
import Index
import PhotoqProtocol

/// Why a file the scan meets is not a photo to index. Every regular file and
/// every symlink below a root is accounted for: indexed, failed, or skipped
/// under one of these classes (FIFOs, sockets and devices are not files a
/// library holds and are not counted). Hidden and excluded folders are not
/// walked, so each counts once, as the folder.
public enum SkipClass {
    public static let unsupportedFormat = "unsupported format"
    public static let video = "video"
    public static let tooSmall = "too small"
    public static let hidden = "hidden"
    public static let excluded = "excluded"
    public static let symlink = "symlink"
    public static let symlinkOutsideRoots = "symlink outside roots"

    /// Video containers by name; videos under a photo's name are found by
    /// their bytes when decoded (the failure class `video`).
    static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "qt", "mkv", "webm", "avi", "mpg", "mpeg", "m2v", "mts", "m2ts", "ts", "3gp", "3g2",
        "wmv", "asf", "flv", "ogv", "vob", "mxf", "insv", "lrv",
    ]
}

/// Classifies what `FileScanner` and the watcher find that is not a photo.
struct SkipClassifier: Sendable {
    let roots: [String]
    let filter: PathFilter

    /// A folder the walk does not enter.
    func folder(_ path: String, name: String) -> SkipRecord {
        if name.hasPrefix(".") {
            return SkipRecord(path: path, className: SkipClass.hidden, detail: "hidden folder, not searched")
        }
        return SkipRecord(path: path, className: SkipClass.excluded, detail: "folder excluded by the configuration")
    }

    /// A regular file whose name is not a photo's, or a symlink; nil for a
    /// photo, or something that is neither a file nor a link.
    func file(_ path: String, name: String) -> SkipRecord? {
        guard let st = FileSystem.linkStatus(path) else { return nil }
        let type = st.st_mode & S_IFMT
        let size = UInt64(max(0, st.st_size))
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        func skip(_ className: String, _ detail: String) -> SkipRecord {
            SkipRecord(path: path, className: className, detail: detail, size: size, mtimeNanoseconds: mtime)
        }
        if type == S_IFLNK { return link(path, skip) }
        guard type == S_IFREG else { return nil }
        if name.hasPrefix(".") { return skip(SkipClass.hidden, "hidden file") }
        if filter.isPhoto(name: name) { return nil }
        let ext = Self.extensionOf(name)
        if SkipClass.videoExtensions.contains(ext) { return skip(SkipClass.video, "a .\(ext) video; videos are not indexed") }
        return skip(SkipClass.unsupportedFormat, ext.isEmpty ? "no extension photoq reads" : "photoq reads no .\(ext) files")
    }

    /// The symlink policy (`LibraryMembership`): never read through a link.
    private func link(_ path: String, _ skip: (String, String) -> SkipRecord) -> SkipRecord {
        guard let target = FileSystem.realPath(path) else { return skip(SkipClass.symlink, "link to nothing") }
        let shown = PathBytes.display(target)
        if roots.contains(where: { PathBytes.isWithin(target, $0) || PathBytes.isWithin(target, FileSystem.realPath($0) ?? $0) }) {
            return skip(SkipClass.symlink, "link to \(shown), which is indexed under its own path")
        }
        return skip(SkipClass.symlinkOutsideRoots, "link to \(shown), outside the roots: not followed")
    }

    static func extensionOf(_ name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}
