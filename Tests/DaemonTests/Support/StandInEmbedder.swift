import Foundation
import PhotoqProtocol
@testable import Daemon

/// A deterministic embedder for tests of the daemon's plumbing: a photo's
/// vector is a normalised histogram of its bytes (so equal files get equal
/// vectors), a query's vector the same of its UTF-8. Anything not starting
/// with the JPEG start-of-image marker fails, like the real decoder.
final class StandInEmbedder: PhotoEmbedder, @unchecked Sendable {
    let modelID: String
    let dimension = 8
    let featureDimension = 4
    private let lock = NSLock()
    private var embedded: [String] = []

    /// What a calibrated model would say is the lowest relevant score.
    let relevanceCutoff: Float?

    /// The second stage, when a test gives one; each photo gets its cells.
    let reranker: (any SearchReranker)?

    init(modelID: String = "stand-in-v1", relevanceCutoff: Float? = nil, reranker: (any SearchReranker)? = nil) {
        self.modelID = modelID
        self.relevanceCutoff = relevanceCutoff
        self.reranker = reranker
    }

    /// Every path embedded so far, in order (a move must not add to it).
    var embeddedPaths: [String] { lock.withLock { embedded } }

    struct NotAJPEG: Error, CustomStringConvertible { var description: String { "not a JPEG file" } }

    func embed(imagesAt paths: [String]) -> [Result<PhotoEmbedding, any Error>] {
        lock.withLock { embedded += paths }
        return paths.map { path in
            Result {
                // By its real bytes: the path may name a file that is not UTF-8.
                let bytes = try RawNames.read(PathBytes.bytes(path))
                guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else { throw NotAJPEG() }
                let feature = Self.histogram(bytes, bins: featureDimension)
                return PhotoEmbedding(vector: Self.histogram(bytes, bins: dimension), feature: feature,
                                      cells: try reranker?.cells(headMap: feature))
            }
        }
    }

    func embedQuery(_ text: String) throws -> [Float] { Self.histogram(Array(text.utf8), bins: dimension) }

    static func histogram(_ bytes: [UInt8], bins: Int) -> [Float] {
        var h = [Float](repeating: 1, count: bins)
        for b in bytes { h[Int(b) % bins] += 1 }
        let norm = h.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return h.map { $0 / norm }
    }
}

/// Small files the stand-in accepts: a JPEG marker then distinct content.
enum FakePhoto {
    static func bytes(_ seed: Int, size: Int = 256) -> Data {
        var d = Data([0xFF, 0xD8])
        var x = UInt64(seed &* 2_654_435_761 &+ 1)
        for _ in 0..<size {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            d.append(UInt8(truncatingIfNeeded: x >> 56))
        }
        return d
    }

    static func write(_ path: String, seed: Int) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try bytes(seed).write(to: URL(fileURLWithPath: path))
    }
}

/// The stand-in, held back while `gate` is closed: lets a test pile up
/// events faster than they are consumed.
final class GatedEmbedder: PhotoEmbedder, @unchecked Sendable {
    let inner = StandInEmbedder()
    var modelID: String { inner.modelID }
    var dimension: Int { inner.dimension }
    var featureDimension: Int { inner.featureDimension }
    private let condition = NSCondition()
    private var open = false

    func release() {
        condition.lock()
        open = true
        condition.broadcast()
        condition.unlock()
    }

    func embed(imagesAt paths: [String]) -> [Result<PhotoEmbedding, any Error>] {
        condition.lock()
        while !open { condition.wait() }
        condition.unlock()
        return inner.embed(imagesAt: paths)
    }

    func embedQuery(_ text: String) throws -> [Float] { try inner.embedQuery(text) }
}
