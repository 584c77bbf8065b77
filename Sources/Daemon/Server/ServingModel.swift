import Foundation
import Index

/// The embedder whose space the index's searchable vectors are in: the
/// daemon's model, or, while a new one re-embeds the library, the model that
/// made the stored vectors. A request holds it for its whole answer, so the
/// switch to the new model never pairs one model's query with the other's vectors.
final class ServingModel: @unchecked Sendable {
    // Writers first: a steady stream of queries cannot hold the switch off.
    private let requests = ReadWriteLock(preferWriters: true)
    private let valueLock = NSLock()
    private var embedder: any PhotoEmbedder

    init(_ embedder: any PhotoEmbedder) { self.embedder = embedder }

    /// The serving embedder now (stable while inside `answering`).
    var current: any PhotoEmbedder { valueLock.withLock { embedder } }

    /// Runs one request's answer; do not nest.
    func answering<R>(_ body: () throws -> R) rethrows -> R { try requests.withReadLock(body) }

    /// Waits for the requests being answered, runs `change` (the index's
    /// switch) with new ones held back, then serves `next`. If `change`
    /// throws, the old model keeps serving.
    func switchTo(_ next: any PhotoEmbedder, during change: () throws -> Void) rethrows {
        try requests.withWriteLock {
            try change()
            valueLock.withLock { embedder = next }
        }
    }
}
