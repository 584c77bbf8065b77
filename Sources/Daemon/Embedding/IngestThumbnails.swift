import Dispatch
import Glibc
import Imaging
import Thumbnails

/// `photoqd --thumbnails`: freedesktop "normal" thumbnails made from the
/// decode indexing already does (≥ 224 px, EXIF-oriented), so photoq
/// --preview, the web app and file managers find them ready. Written on one
/// background queue so the ingest path only pays for a stat and a hand-off;
/// a thumbnail that is already fresh (a file manager's) is left alone, and a
/// failed write only costs the thumbnail (it is a cache).
public final class IngestThumbnails: Sendable {
    public let store: ThumbnailStore
    private let queue = DispatchQueue(label: "photoqd.thumbnails", qos: .utility)

    public init(store: ThumbnailStore) {
        self.store = store
    }

    /// The photo's mtime in seconds, taken before it is decoded so that a
    /// change during the decode leaves the thumbnail stale, not wrong.
    static func modified(_ path: String) -> Int64? {
        var info = stat()
        return lstat(path, &info) == 0 ? Int64(info.st_mtim.tv_sec) : nil
    }

    func offer(_ image: RGBImage, path: String, modified: Int64, originalSize: ImageSize, orientation: Int) {
        let store = self.store
        let upright = orientation >= 5 ? ImageSize(width: originalSize.height, height: originalSize.width) : originalSize
        queue.async {
            guard store.cachedThumbnail(forPath: path, size: .normal) == nil else { return }
            try? store.write(image, forPath: path, modified: modified, size: .normal, originalSize: upright)
        }
    }

    /// Waits for the writes handed over so far (tests, and a clean stop).
    public func drain() { queue.sync {} }
}
