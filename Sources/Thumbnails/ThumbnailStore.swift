import Glibc
import Imaging

/// The freedesktop thumbnail cache (Thumbnail Managing Standard 0.9):
/// `<cache>/thumbnails/{normal,large}/<md5 of the file URI>.png`, PNGs
/// carrying `Thumb::URI` and `Thumb::MTime`, so file managers and photoq
/// reuse each other's thumbnails. Pure file logic; safe from any thread
/// (writes are atomic renames, so concurrent writers only race to the same
/// content).
public struct ThumbnailStore: Sendable {
    /// `<cacheHome>/thumbnails`.
    public let root: String
    /// Decodes photos for thumbnails made on demand.
    public var decoder: ImageDecoder

    /// Written as `Software` and used in the failure folder's name.
    public static let software = "photoq 0.1"
    static let failureFolder = "fail/photoq-0.1"
    /// Cached files larger than this are not thumbnails photoq reads back.
    static let maximumThumbnailBytes = 8 << 20

    /// `cacheHome` is `$XDG_CACHE_HOME` or `~/.cache`.
    public init(cacheHome: String, decoder: ImageDecoder = ImageDecoder()) {
        self.root = cacheHome + "/thumbnails"
        self.decoder = decoder
    }

    /// `$XDG_CACHE_HOME` when set to an absolute path (the XDG rule), else
    /// `$HOME/.cache`, else the home folder in the password database.
    public static func fromEnvironment(_ env: [String: String]) -> ThumbnailStore {
        if let cache = env["XDG_CACHE_HOME"], cache.hasPrefix("/") { return ThumbnailStore(cacheHome: cache) }
        if let home = env["HOME"], !home.isEmpty { return ThumbnailStore(cacheHome: home + "/.cache") }
        let home = getpwuid(getuid()).flatMap { $0.pointee.pw_dir.map { String(cString: $0) } } ?? "/tmp"
        return ThumbnailStore(cacheHome: home + "/.cache")
    }

    /// Where the thumbnail of `path` at `size` lives (whether or not it exists).
    public func thumbnailPath(forPath path: String, size: ThumbnailSize) -> String {
        root + "/" + size.rawValue + "/" + Self.fileName(forPath: path)
    }

    /// `<md5 of the canonical URI>.png`.
    public static func fileName(forPath path: String) -> String {
        MD5.hex(Array(FileURI.canonical(path: path).utf8)) + ".png"
    }

    /// PNG bytes of the thumbnail for the photo at `path`: the cached one when
    /// its `Thumb::URI` and `Thumb::MTime` match the file, else one made now
    /// (any format `ImageDecoder` reads, upright) and written back. A photo
    /// that cannot be decoded leaves a failure marker, so it is not decoded
    /// again until it changes.
    public func thumbnail(forPath path: String, size: ThumbnailSize) throws -> [UInt8] {
        let photo = try PhotoFile(path: path)
        if let cached = cached(at: thumbnailPath(forPath: path, size: size), matching: photo) { return cached }
        let failure = failurePath(forPath: path)
        if cached(at: failure, matching: photo) != nil { throw ThumbnailError.failedBefore(path: path) }
        let decoded: DecodedPhoto
        do {
            decoded = try decoder.decode(path: path, targetSize: ImageSize(square: size.pixels))
        } catch {
            let imageError = error as? ImageError ?? .unreadable(path: path, reason: "\(error)")
            if imageError != .cancelled {
                _ = try? writeThumbnail(RGBImage(width: 1, height: 1), to: failure, side: 1, photo: photo, original: nil)
            }
            throw ThumbnailError.undecodable(path: path, error: imageError)
        }
        return try writeThumbnail(decoded.image, to: thumbnailPath(forPath: path, size: size), side: size.pixels,
                                  photo: photo, original: upright(decoded))
    }

    /// The cached thumbnail's PNG bytes; nil when missing, unreadable, or
    /// stale (its URI or modification time does not match the file's).
    public func cachedThumbnail(forPath path: String, size: ThumbnailSize) -> [UInt8]? {
        guard let photo = try? PhotoFile(path: path) else { return nil }
        return cached(at: thumbnailPath(forPath: path, size: size), matching: photo)
    }

    /// Stores a thumbnail made from an image already decoded (the daemon's
    /// ingest decode): scaled down to `size` (never up), with `modified` (the
    /// photo's mtime in seconds) as `Thumb::MTime`. `originalSize` is the
    /// photo's upright size, recorded when known.
    public func write(_ image: RGBImage, forPath path: String, modified: Int64, size: ThumbnailSize,
                      originalSize: ImageSize? = nil) throws {
        let photo = PhotoFile(uri: FileURI.canonical(path: path), modified: modified,
                              bytes: (try? PhotoFile(path: path))?.bytes)
        try writeThumbnail(image, to: thumbnailPath(forPath: path, size: size), side: size.pixels, photo: photo,
                           original: originalSize)
    }

    // MARK: - Internals

    func failurePath(forPath path: String) -> String {
        root + "/" + Self.failureFolder + "/" + Self.fileName(forPath: path)
    }

    private func cached(at thumbnail: String, matching photo: PhotoFile) -> [UInt8]? {
        guard let bytes = try? FileBytes.read(path: thumbnail, maximumSize: Self.maximumThumbnailBytes),
              let text = try? PNGText.read(bytes),
              text["Thumb::URI"] == photo.uri,
              text["Thumb::MTime"].flatMap({ Int64($0) }) == photo.modified
        else { return nil }
        return bytes
    }

    @discardableResult
    private func writeThumbnail(_ image: RGBImage, to thumbnail: String, side: Int, photo: PhotoFile,
                                original: ImageSize?) throws -> [UInt8] {
        let scaled = Self.scaled(image, toFit: side)
        var text: [(keyword: String, value: String)] = [
            ("Thumb::URI", photo.uri), ("Thumb::MTime", String(photo.modified)),
        ]
        if let bytes = photo.bytes { text.append(("Thumb::Size", String(bytes))) }
        if let original {
            text += [("Thumb::Image::Width", String(original.width)), ("Thumb::Image::Height", String(original.height))]
        }
        text.append(("Software", Self.software))
        let png: [UInt8]
        do {
            png = try PNGEncoder.encode(scaled, text: text)
        } catch {
            throw ThumbnailError.notWritten(path: thumbnail, reason: "\(error)")
        }
        try PrivateFile.write(png, to: thumbnail)
        return png
    }

    /// The largest side brought down to `side` (aspect kept); smaller images unchanged.
    static func scaled(_ image: RGBImage, toFit side: Int) -> RGBImage {
        let largest = max(image.width, image.height)
        guard largest > side else { return image }
        let width = max(1, (image.width * side + largest / 2) / largest)
        let height = max(1, (image.height * side + largest / 2) / largest)
        return resize(image, width: width, height: height)
    }

    private func upright(_ decoded: DecodedPhoto) -> ImageSize {
        let size = decoded.originalSize
        return decoded.orientation >= 5 ? ImageSize(width: size.height, height: size.width) : size
    }
}

/// What the standard records about the photo a thumbnail shows.
struct PhotoFile {
    let uri: String
    /// st_mtime in whole seconds.
    let modified: Int64
    /// File size in bytes (`Thumb::Size`).
    let bytes: Int64?

    init(uri: String, modified: Int64, bytes: Int64?) {
        self.uri = uri
        self.modified = modified
        self.bytes = bytes
    }

    init(path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ThumbnailError.photoUnreadable(path: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ThumbnailError.photoUnreadable(path: path, reason: "not a regular file")
        }
        self.init(uri: FileURI.canonical(path: path), modified: Int64(info.st_mtim.tv_sec), bytes: Int64(info.st_size))
    }
}
