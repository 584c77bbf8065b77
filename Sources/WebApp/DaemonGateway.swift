import Client
import PhotoqProtocol

/// photoqd as the web app uses it: one short connection per request (the
/// client's, which refuses a socket served by another user), the same
/// reranking as `photoq`, and only photos the index knows.
struct DaemonGateway: Sendable {
    let socketPath: String

    /// Connects, runs `body`, and turns the client's failure into the HTTP one.
    private func withClient<T>(_ body: (PhotoqClient) throws(ClientFailure) -> T) throws(WebError) -> T {
        do { return try body(try PhotoqClient(socketPath: socketPath)) } catch { throw WebError(error) }
    }

    /// `minScore` nil: the model's relevance cutoff (as `photoq` without `--min-score`).
    func search(_ text: String, limit: Int, filters: SearchFilters, minScore: Double? = nil) throws(WebError) -> SearchDocument {
        try withClient { client throws(ClientFailure) in
            // photoqd reranks the head when it has a reranker, as for `photoq`.
            let hits = try client.search(SearchRequest(text: text, k: limit, filters: filters, minScore: minScore))
            return SearchDocument(results: hits.map(SearchDocument.Hit.init), pending: client.lastPending,
                                  min_score: client.lastCutoff?.minScore, below_min_score: client.lastCutoff?.below)
        }
    }

    /// "More like this": the photo's vector, plus the text when refining.
    func similar(to id: UInt64, text: String?, limit: Int, filters: SearchFilters) throws(WebError) -> SearchDocument {
        try withClient { client throws(ClientFailure) in
            let hits = try client.similar(SimilarRequest(photo: PhotoReference(id: id), text: text, k: limit,
                                                         filters: filters))
            return SearchDocument(results: hits.map(SearchDocument.Hit.init), pending: client.lastPending)
        }
    }

    /// The indexed file behind an id: the only way the app finds a file to read.
    func record(_ id: UInt64) throws(WebError) -> PhotoRecordResult {
        try withClient { client throws(ClientFailure) in try client.get(PhotoReference(id: id)) }
    }

    func status() throws(WebError) -> StatusDocument {
        try withClient { client throws(ClientFailure) in StatusDocument(try client.status()) }
    }

    func failures(offset: Int, limit: Int) throws(WebError) -> FailuresDocument {
        try withClient { client throws(ClientFailure) in
            let page = try client.failures(offset: offset, limit: limit)
            return FailuresDocument(total: page.total, entries: page.entries.map {
                .init(path: $0.path, reason: $0.reason, detail: $0.detail, skipped: $0.skipped)
            }, nextOffset: page.nextOffset)
        }
    }
}
