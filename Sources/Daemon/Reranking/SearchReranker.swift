import Index

/// The search's second stage: reorders the joint space's best candidates of
/// a text query. The daemon knows only this protocol (tests use a stand-in);
/// `AlignmentReranker` is the LSTM scorer over the photos' stored cells.
public protocol SearchReranker: Sendable {
    /// Identifies the scorer and cell basis; part of the embedder's model
    /// id, so a new one re-embeds the library (every photo gets its cells).
    var id: String { get }
    /// How many of the joint space's best it reorders.
    var topK: Int { get }
    /// The grid cells to store for one photo from its 7×7 head map (R, F)
    /// (flip-averaged when the joint model is); ingest calls it.
    func cells(headMap: [Float]) throws -> PhotoCells
    /// Combined scores (K) of `query` against K candidate records, read with
    /// their vectors, features and cells; nil when one has no cells (not
    /// re-embedded yet) or the query is not one it reranks (no known word,
    /// far longer than a caption): the joint order then stands.
    func scores(query: String, candidates: [PhotoRecord], jointScores: [Float]) throws -> [Float]?
}

extension SearchReranker {
    /// `ids` (the first stage's order, best first) with the first `topK`
    /// reordered by the combined score, stable on ties; nil when the scorer
    /// declines (fewer than two candidates, or `scores` gives nil).
    func reordered(_ ids: [UInt64], jointScores: [Float], query: String, index: PhotoIndex) throws -> [UInt64]? {
        let head = Array(ids.prefix(topK))
        guard head.count > 1 else { return nil }
        let records = try index.recordsWithCells(ids: head)
        guard records.count == head.count, zip(records, head).allSatisfy({ $0.id == $1 }),
              let combined = try scores(query: query, candidates: records, jointScores: Array(jointScores.prefix(head.count))),
              combined.count == head.count else { return nil }
        let order = head.indices.sorted { combined[$0] != combined[$1] ? combined[$0] > combined[$1] : $0 < $1 }
        return order.map { head[$0] } + ids.dropFirst(head.count)
    }
}
