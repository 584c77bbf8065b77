import Foundation

/// Why a photo could not be read, decoded or encoded. Each case names what
/// went wrong in words a user can act on; callers that only need a category
/// (skip the photo, exit 65) switch on the case.
public enum ImageError: Error, Equatable, Sendable {
    /// The file could not be opened or read (missing, permissions, a directory).
    case unreadable(path: String, reason: String)
    /// The file or buffer holds no bytes at all.
    case emptyFile
    /// `JPEGDecoder` was given bytes without a JPEG start-of-image marker
    /// (`ImageDecoder` reports `.unrecognisedFormat` instead).
    case notJPEG
    /// The bytes start like no format photoq decodes (kept for the message).
    case unrecognisedFormat(leadingBytes: [UInt8])
    /// A video container (MP4/MOV, AVI, Matroska/WebM, MPEG): not a photo.
    case unsupportedVideo(container: String)
    /// The data ends before the image does (an interrupted copy or download).
    case truncated(message: String)
    /// The decoding library found damaged or invalid data; `message` is its text.
    case corrupt(message: String)
    /// The header declares more pixels than the decoder accepts (a decompression bomb or a huge scan).
    case tooLarge(width: Int, height: Int, limit: Int)
    /// A valid file in a variant this decoder cannot turn into RGB.
    case unsupported(message: String)
    /// An image passed to an encoder or transform does not have a usable shape.
    case invalidImage(message: String)
    /// libjpeg (or the PNG writer) refused to encode.
    case encodingFailed(message: String)
    /// Memory for the pixels could not be allocated.
    case outOfMemory
    /// Decoding would exceed a `DecodeBudget` limit (memory, file size, scans,
    /// CPU time): a decompression or CPU bomb, or an image too big to index.
    case overBudget(message: String)
    /// The decoder carried on past lost image data (a flipped bit, a bad
    /// block) and would return partly grey or garbled pixels.
    case damaged(message: String)
    /// The decode was stopped from outside (`DecodeLimiter.cancel`).
    case cancelled
}

extension ImageError: CustomStringConvertible, LocalizedError {
    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case .emptyFile:
            return "empty file (0 bytes): not an image"
        case .notJPEG:
            return "not a JPEG file (no JPEG start-of-image marker)"
        case let .unrecognisedFormat(leadingBytes):
            return "not an image photoq can read (starts with \(Self.describe(leadingBytes)))"
        case let .unsupportedVideo(container):
            return "unsupported: video (\(container)), not a still image"
        case let .truncated(message):
            return "truncated image: the file ends before the image does (\(message))"
        case let .corrupt(message):
            return "corrupt image: \(message)"
        case let .tooLarge(width, height, limit):
            return "image too large: \(width)×\(height) is \(width * height) pixels, over the limit of \(limit)"
        case let .unsupported(message):
            return "unsupported image: \(message)"
        case let .invalidImage(message):
            return "invalid image: \(message)"
        case let .encodingFailed(message):
            return "cannot encode image: \(message)"
        case .outOfMemory:
            return "out of memory while decoding"
        case let .overBudget(message):
            return "over the decode budget: \(message)"
        case let .damaged(message):
            return "damaged image data: \(message)"
        case .cancelled:
            return "decode cancelled"
        }
    }

    public var errorDescription: String? { description }

    /// Hex and printable text of a file's first bytes: `89 50 4E 47 ".PNG"`.
    static func describe(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "nothing" }
        let hex = bytes.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
        let text = String(bytes.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "." })
        return hex.joined(separator: " ") + " \"" + text + "\""
    }
}
