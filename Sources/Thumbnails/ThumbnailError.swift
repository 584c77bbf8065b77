import Imaging

/// Why a thumbnail could not be produced or stored.
public enum ThumbnailError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The photo itself could not be found or read (stat failed).
    case photoUnreadable(path: String, reason: String)
    /// The photo could not be decoded (any `ImageError`).
    case undecodable(path: String, error: ImageError)
    /// A failure is recorded for this version of the photo under
    /// `thumbnails/fail/photoq-…` (the standard's marker): not retried until the file changes.
    case failedBefore(path: String)
    /// The cache folder or file could not be written.
    case notWritten(path: String, reason: String)

    public var description: String {
        switch self {
        case let .photoUnreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .undecodable(path, error): return "no thumbnail for \(path): \(error)"
        case let .failedBefore(path): return "no thumbnail for \(path): it failed before and has not changed since"
        case let .notWritten(path, reason): return "cannot write the thumbnail \(path): \(reason)"
        }
    }
}
