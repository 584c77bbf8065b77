import Foundation
import Index
import PhotoqProtocol

/// Answers search, similar, get, status, reindex and failures from the
/// index; reads only (the writer thread owns all writes), so answering never
/// waits for a batch being embedded (a `similar` for a photo not in the
/// index embeds it, and waits for the network between batches). Runs on several server workers at once.
final class QueryHandler: RequestHandler, @unchecked Sendable {
    private let index: PhotoIndex
    /// Held for each request: searches embed their query with the model
    /// whose vectors the index serves (the old one while a new one re-embeds).
    private let serving: ServingModel
    private var embedder: any PhotoEmbedder { serving.current }
    private let status: @Sendable () -> StatusResult
    private let reindex: @Sendable (Bool) -> Int
    /// Photos left out of every result (their root is missing; see RootPresence).
    private let hiddenIDs: @Sendable () -> Set<UInt64>
    /// Photos found but not searchable yet, told with every search.
    private let pending: @Sendable () -> Int
    private let log: Log

    init(index: PhotoIndex, serving: ServingModel, log: Log,
         status: @escaping @Sendable () -> StatusResult, reindex: @escaping @Sendable (Bool) -> Int,
         hiddenIDs: @escaping @Sendable () -> Set<UInt64> = { [] }, pending: @escaping @Sendable () -> Int = { 0 }) {
        self.pending = pending
        self.index = index
        self.serving = serving
        self.log = log
        self.status = status
        self.reindex = reindex
        self.hiddenIDs = hiddenIDs
    }

    func respond(to envelope: RequestEnvelope) -> [UInt8] { serving.answering { respond(to: envelope, embedded: [:]) } }

    /// The search texts among `envelopes` are embedded in one call first.
    func respond(toBatch envelopes: [RequestEnvelope]) -> [[UInt8]] { serving.answering { answer(envelopes) } }

    private func answer(_ envelopes: [RequestEnvelope]) -> [[UInt8]] {
        var texts: [String] = []
        for envelope in envelopes {
            if case .search(let r) = envelope.request, let text = try? RequestValidation.text(r.text), !texts.contains(text) {
                texts.append(text)
            }
        }
        var embedded: [String: [Float]] = [:]
        if texts.count > 1, let vectors = try? embedder.embedQueries(texts), vectors.count == texts.count {
            embedded = Dictionary(zip(texts, vectors), uniquingKeysWith: { a, _ in a })
        }
        return envelopes.map { respond(to: $0, embedded: embedded) }
    }

    private func respond(to envelope: RequestEnvelope, embedded: [String: [Float]]) -> [UInt8] {
        do {
            switch envelope.request {
            case .search(let r): return ResponseEncoding.result(withPending(try search(r, embedded: embedded)), id: envelope.id)
            case .similar(let r): return ResponseEncoding.result(withPending(try similar(r)), id: envelope.id)
            case .get(let r): return ResponseEncoding.result(try get(r), id: envelope.id)
            case .status: return ResponseEncoding.result(status(), id: envelope.id)
            case .reindex(let r): return ResponseEncoding.result(ReindexResult(queued: reindex(r.failedOnly)), id: envelope.id)
            case .failures(let r): return ResponseEncoding.result(try failures(r), id: envelope.id)
            }
        } catch let error as WireError {
            log.info("refused a \(envelope.request.method) request: \(error)")
            return ResponseEncoding.error(error, id: envelope.id)
        } catch {
            log.error("\(envelope.request.method) failed: \(error)")
            return ResponseEncoding.error(WireError(.internalError, "\(envelope.request.method) failed: \(error)"), id: envelope.id)
        }
    }

    private func search(_ r: SearchRequest, embedded: [String: [Float]]) throws -> SearchResult {
        try RequestValidation.k(r.k)
        let text = try RequestValidation.text(r.text) ?? ""
        let filter = try searchFilter(r.filters)
        let cutoff = try RequestValidation.minScore(r.minScore) ?? embedder.relevanceCutoff
        let query = try embedded[text] ?? embedder.embedQuery(text)
        let reranker = r.rerank == false || text.isEmpty ? nil : embedder.reranker
        // The reranker reorders its top K even when fewer are shown.
        let wanted = max(r.k, min(reranker?.topK ?? 0, Wire.maximumResults))
        var result = try nearest(to: query, k: wanted, filter: filter, excluding: nil, features: r.includeFeatures == true)
        if let cutoff {
            let nearestCount = result.hits.count
            result = Self.applying(cutoff: cutoff, to: result)
            // Counted among the k asked for, as without a reranker.
            result.belowMinScore = min(r.k, nearestCount) - min(r.k, result.hits.count)
        }
        if let reranker { result = reranked(result, text: text, by: reranker) }
        result.hits = Array(result.hits.prefix(r.k))
        return result
    }

    /// The head of `result` in the reranker's order; a reranker that fails
    /// is logged and the joint order stands (a search never fails for it).
    private func reranked(_ result: SearchResult, text: String, by reranker: any SearchReranker) -> SearchResult {
        var result = result
        do {
            let ids = result.hits.map(\.id)
            guard let order = try reranker.reordered(ids, jointScores: result.hits.map(\.score), query: text, index: index)
            else { return result }
            let byID = Dictionary(result.hits.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let hits = order.compactMap { byID[$0] }
            guard hits.count == result.hits.count else { return result }
            result.hits = hits
            result.reranked = true
        } catch {
            log.error("reranking failed; the joint order stands: \(error)")
        }
        return result
    }

    /// Drops hits below the cutoff (hits are best first) and says how many.
    static func applying(cutoff: Float, to result: SearchResult) -> SearchResult {
        var result = result
        let kept = result.hits.prefix { $0.score >= cutoff }
        result.belowMinScore = result.hits.count - kept.count
        result.hits = Array(kept)
        // Through the float's shortest text, so 0.1757 reads 0.1757 in JSON.
        result.minScore = Double("\(cutoff)") ?? Double(cutoff)
        return result
    }

    /// V: the photo's own vector; V+T: photo and text vectors added, then normalised.
    private func similar(_ r: SimilarRequest) throws -> SearchResult {
        try RequestValidation.k(r.k)
        let cutoff = try RequestValidation.minScore(r.minScore)
        let text = try RequestValidation.text(r.text, optional: true)
        let filter = try searchFilter(r.filters)
        let (query: photoVector, id: ownID) = try exampleVector(r.photo)
        var query = photoVector
        if let text {
            let t = try embedder.embedQuery(text)
            guard t.count == query.count else { throw WireError(.internalError, "text and photo vectors differ in size") }
            for i in query.indices { query[i] += t[i] }
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in query.indices { query[i] /= norm } }
        }
        let result = try nearest(to: query, k: r.k, filter: filter, excluding: ownID, features: r.includeFeatures == true)
        guard let cutoff else { return result }
        return Self.applying(cutoff: cutoff, to: result)
    }

    /// The indexed photo's vector, or, for a path not in the index, the
    /// photo embedded now (under the shared decode budget; the peer is the
    /// daemon's own user, checked by SO_PEERCRED, so it reads nothing that
    /// user could not). A file that cannot be read or decoded is bad input;
    /// one that does not exist is not found.
    private func exampleVector(_ reference: PhotoReference) throws -> (query: [Float], id: UInt64?) {
        let ref = try RequestValidation.photo(reference)
        if let path = ref.path, try index.lookup(path: path) == nil {
            guard path.hasPrefix("/") else { throw WireError(.invalidArgument, "the photo path must be absolute") }
            guard FileSystem.linkStatus(path) != nil else {
                throw WireError(.notFound, "photo \(PathBytes.display(path)) is not in the index, and there is no such file")
            }
            guard let result = embedder.embed(imagesAt: [path]).first else { throw WireError(.internalError, "no embedding came back") }
            switch result {
            case .success(let embedding): return (embedding.vector, nil)
            case .failure(let error):
                throw WireError(.invalidArgument, "cannot use \(PathBytes.display(path)): \(FailureReason.text(for: error))")
            }
        }
        let record = try resolve(reference)
        guard !record.vector.isEmpty else { throw WireError(.notFound, "\(record.path) is not embedded yet") }
        return (record.vector, record.id)
    }

    private func withPending(_ result: SearchResult) -> SearchResult {
        var result = result
        result.pending = pending()
        return result
    }

    private func failures(_ r: FailuresRequest) throws -> FailuresResult {
        guard r.offset >= 0, (1...FailuresRequest.maximumLimit).contains(r.limit) else {
            throw WireError(.invalidArgument, "offset must be at least 0 and limit between 1 and \(FailuresRequest.maximumLimit)")
        }
        return try FailureListing.page(index, offset: r.offset, limit: r.limit)
    }

    private func get(_ r: GetRequest) throws -> PhotoRecordResult {
        let record = try resolve(r.photo)
        return PhotoRecordResult(id: record.id, path: record.path, size: Int64(clamping: record.size),
                                 modified: Double(record.mtimeNanoseconds) / 1e9, modelID: record.modelID,
                                 vector: record.vector, feature: record.feature, tags: Self.wireTags(record))
    }

    private func resolve(_ unchecked: PhotoReference) throws -> PhotoRecord {
        let ref = try RequestValidation.photo(unchecked)
        let found = if let id = ref.id { try index.record(id: id) } else { try index.lookup(path: ref.path ?? "") }
        guard let found else { throw WireError(.notFound, "photo \(ref.id.map(String.init) ?? ref.path ?? "") is not in the index") }
        return found
    }

    /// The index's filter for validated folder and date filters (dates: when
    /// taken, else modified); nil when nothing can match.
    private func searchFilter(_ filters: SearchFilters) throws -> SearchFilter? {
        var filter = SearchFilter()
        switch try RequestValidation.timeWindow(after: filters.modifiedAfter, before: filters.modifiedBefore) {
        case .any: break
        case .nothing: return nil
        case .range(let range): filter.dateRange = range
        }
        if let folder = try RequestValidation.folder(filters.folder) {
            filter.allowedIDs = try index.ids(inFolder: folder)
        }
        if let tags = try RequestValidation.tags(filters.tags) {
            let tagged = try index.ids(taggedWithAll: tags)
            filter.allowedIDs = filter.allowedIDs.map { $0.intersection(tagged) } ?? tagged
        }
        return filter
    }

    private func nearest(to query: [Float], k: Int, filter: SearchFilter?, excluding: UInt64?, features: Bool) throws -> SearchResult {
        guard var filter else { return SearchResult(hits: []) }
        if let excluding {
            // The photo asked about and its byte-identical copies are not "similar" to it.
            let own = Set(index.catalog.copies(of: excluding))
            filter.predicate = { !own.contains($0) }
        }
        let hidden = hiddenIDs()
        filter.hide(hidden)
        let folded = try foldedHits(query, k: k, filter: filter, hidden: hidden)
        // Features for the head only: 10,000 of them would not fit one response.
        let withFeatures = features ? min(folded.count, Wire.maximumFeatureHits) : 0
        let records = try index.records(ids: folded.prefix(withFeatures).map(\.hit.id), includeFloats: true)
            + index.records(ids: folded.dropFirst(withFeatures).map(\.hit.id) + folded.flatMap(\.copies), includeFloats: false)
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return SearchResult(hits: folded.enumerated().compactMap { rank, entry in
            byID[entry.hit.id].map { record in
                var hit = Self.hit(record, score: entry.hit.score, feature: rank < withFeatures ? record.feature : nil)
                hit.also = entry.copies.compactMap { byID[$0].map { Self.hit($0, score: entry.hit.score, feature: nil) } }
                return hit
            }
        })
    }

    /// The best `k` photos with byte-identical copies folded into the best of
    /// them: while copies take places the search widens, so the result still
    /// holds `k` distinct photos when there are that many.
    private func foldedHits(_ query: [Float], k: Int, filter: SearchFilter,
                            hidden: Set<UInt64>) throws -> [(hit: Index.SearchHit, copies: [UInt64])] {
        let catalog = index.catalog
        func fold(_ hits: [Index.SearchHit]) -> [(hit: Index.SearchHit, copies: [UInt64])] {
            var groups = Set<UInt64>()
            var folded: [(hit: Index.SearchHit, copies: [UInt64])] = []
            for hit in hits where folded.count < k {
                guard let group = catalog.copyGroup(of: hit.id) else {
                    folded.append((hit, []))
                    continue
                }
                guard groups.insert(group).inserted else { continue }
                folded.append((hit, catalog.copies(of: hit.id).filter { $0 != hit.id && !hidden.contains($0) }))
            }
            return folded
        }
        return fold(try index.search.search(query, k: k, filter: filter) { fold($0).count >= k })
    }

    /// A result for a stored photo, with its capture date and format.
    private static func hit(_ record: PhotoRecord, score: Float, feature: [Float]?) -> PhotoqProtocol.SearchHit {
        PhotoqProtocol.SearchHit(id: record.id, path: record.path, score: score,
                                 modified: Double(record.mtimeNanoseconds) / 1e9, feature: feature,
                                 taken: record.taken?.iso8601, format: record.format.isEmpty ? nil : record.format,
                                 tags: wireTags(record))
    }

    /// The record's tags for the wire; nil when it was never tagged.
    private static func wireTags(_ record: PhotoRecord) -> [TagScore]? {
        record.tags?.map { TagScore(tag: $0.name, score: $0.score) }
    }
}
