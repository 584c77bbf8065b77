/// Where `VectorSearch` finds the Float32 vectors it rescores its int8
/// shortlist with, when it does not keep them itself: `PhotoIndex` reads
/// them from LMDB, so a million of them need not sit in memory.
public protocol ExactVectorSource: AnyObject, Sendable {
    /// The stored vectors of `ids`, in order; nil for an id without one
    /// (removed since the scan saw it). nil as a whole when the source holds
    /// another model's vectors now (a search taken before a model switch and
    /// run after it): the search then keeps its int8 scores.
    func exactVectors(ids: [UInt64]) throws -> [[Float]?]?
}
