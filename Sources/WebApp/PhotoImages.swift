import Imaging
import Thumbnails

/// The images the web app serves, always of a file the index named (the
/// caller resolved an id with photoqd's `get`; no path ever comes from a request).
enum PhotoImages {
    /// Longest side of `/photo/ID`: enough for a full-window view, bounded so
    /// a 50-megapixel original does not travel to the browser whole.
    static let photoSide = 2048

    /// The photo upright (EXIF orientation applied), within `side`×`side`, as JPEG.
    static func photoJPEG(path: String, side: Int = photoSide) throws(WebError) -> [UInt8] {
        let image = try decode(path: path, side: side)
        do { return try JPEGEncoder.encode(fit(image, side: side), quality: 88) } catch {
            throw WebError(.internalServerError, "cannot encode \(path): \(error)")
        }
    }

    /// The grid's image for a photo: the freedesktop "large" thumbnail, shared
    /// with file managers and `photoq --preview` (reused when current, else
    /// made and stored). A cache that cannot be written still gets a thumbnail, made in memory.
    static func thumbnail(path: String, store: ThumbnailStore) throws(WebError) -> (bytes: [UInt8], contentType: String) {
        do {
            return (try store.thumbnail(forPath: path, size: .large), "image/png")
        } catch ThumbnailError.notWritten {
            return (try photoJPEG(path: path, side: ThumbnailSize.large.pixels), "image/jpeg")
        } catch ThumbnailError.photoUnreadable(_, let reason) {
            throw WebError(.notFound, "cannot read \(path): \(reason)")
        } catch {
            throw WebError(.unprocessableContent, "\(error)")
        }
    }

    /// Decoded just large enough to cover `side` in both dimensions (decoders scale while decoding).
    static func decode(path: String, side: Int? = nil) throws(WebError) -> RGBImage {
        do {
            return try ImageDecoder().decode(path: path, targetSize: side.map { ImageSize(square: $0) }).image
        } catch let error as ImageError {
            if case .unreadable = error { throw WebError(.notFound, "cannot read \(path): \(error)") }
            throw WebError(.unprocessableContent, "cannot decode \(path): \(error)")
        } catch {
            throw WebError(.unprocessableContent, "cannot decode \(path): \(error)")
        }
    }

    /// Scaled down (never up) so that its longest side is at most `side`.
    static func fit(_ image: RGBImage, side: Int) -> RGBImage {
        let longest = max(image.width, image.height)
        guard longest > side else { return image }
        let scale = Double(side) / Double(longest)
        return resize(image, width: max(1, Int((Double(image.width) * scale).rounded())),
                      height: max(1, Int((Double(image.height) * scale).rounded())), filter: .area)
    }
}
