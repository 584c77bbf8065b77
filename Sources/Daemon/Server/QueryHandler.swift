import Foundation
import Index
import PhotoqProtocol

/// Answers search, similar, get, status and reindex from the index; reads
/// only (the writer thread owns all writes), so answering never waits for a
/// batch being embedded.
final class QueryHandler: RequestHandler, @unchecked Sendable {
    private let index: PhotoIndex
    private let embedder: any PhotoEmbedder
    private let status: @Sendable () -> StatusResult
    private let reindex: @Sendable (Bool) -> Int
    /// Photos left out of every result (their root is missing; see RootPresence).
    private let hiddenIDs: @Sendable () -> Set<UInt64>
    private let log: Log

    init(index: PhotoIndex, embedder: any PhotoEmbedder, log: Log,
         status: @escaping @Sendable () -> StatusResult, reindex: @escaping @Sendable (Bool) -> Int,
         hiddenIDs: @escaping @Sendable () -> Set<UInt64> = { [] }) {
        self.index = index
        self.embedder = embedder
        self.log = log
        self.status = status
        self.reindex = reindex
        self.hiddenIDs = hiddenIDs
    }

    func respond(to envelope: RequestEnvelope) -> [UInt8] {
        do {
            switch envelope.request {
            case .search(let r): return ResponseEncoding.result(try search(r), id: envelope.id)
            case .similar(let r): return ResponseEncoding.result(try similar(r), id: envelope.id)
            case .get(let r): return ResponseEncoding.result(try get(r), id: envelope.id)
            case .status: return ResponseEncoding.result(status(), id: envelope.id)
            case .reindex(let r): return ResponseEncoding.result(ReindexResult(queued: reindex(r.failedOnly)), id: envelope.id)
            }
        } catch let error as WireError {
            return ResponseEncoding.error(error, id: envelope.id)
        } catch {
            log.error("\(envelope.request.method) failed: \(error)")
            return ResponseEncoding.error(WireError(.internalError, "\(envelope.request.method) failed: \(error)"), id: envelope.id)
        }
    }

    private func search(_ r: SearchRequest) throws -> SearchResult {
        try validate(k: r.k)
        let text = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw WireError(.invalidArgument, "the search text is empty") }
        guard text.utf8.count <= 4096 else { throw WireError(.invalidArgument, "the search text is longer than 4096 bytes") }
        let query = try embedder.embedQuery(text)
        return try nearest(to: query, k: r.k, filters: r.filters, excluding: nil, features: r.includeFeatures == true)
    }

    /// V: the photo's own vector; V+T: photo and text vectors added, then normalised.
    private func similar(_ r: SimilarRequest) throws -> SearchResult {
        try validate(k: r.k)
        let record = try resolve(r.photo)
        guard !record.vector.isEmpty else { throw WireError(.notFound, "\(record.path) is not embedded yet") }
        var query = record.vector
        if let text = r.text?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            let t = try embedder.embedQuery(text)
            guard t.count == query.count else { throw WireError(.internalError, "text and photo vectors differ in size") }
            for i in query.indices { query[i] += t[i] }
            let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { for i in query.indices { query[i] /= norm } }
        }
        return try nearest(to: query, k: r.k, filters: r.filters, excluding: record.id, features: r.includeFeatures == true)
    }

    private func get(_ r: GetRequest) throws -> PhotoRecordResult {
        let record = try resolve(r.photo)
        return PhotoRecordResult(id: record.id, path: record.path, size: Int64(record.size),
                                 modified: Double(record.mtimeNanoseconds) / 1e9, modelID: record.modelID,
                                 vector: record.vector, feature: record.feature)
    }

    private func resolve(_ ref: PhotoReference) throws -> PhotoRecord {
        let found: PhotoRecord?
        if let id = ref.id {
            found = try index.record(id: id)
        } else if let path = ref.path {
            found = try index.lookup(path: path)
        } else {
            throw WireError(.invalidArgument, "name the photo by id or path")
        }
        guard let found else { throw WireError(.notFound, "photo \(ref.id.map(String.init) ?? ref.path ?? "") is not in the index") }
        return found
    }

    private func validate(k: Int) throws {
        guard (1...Wire.maximumResults).contains(k) else {
            throw WireError(.invalidArgument, "k must be between 1 and \(Wire.maximumResults), not \(k)")
        }
    }

    private func nearest(to query: [Float], k: Int, filters: SearchFilters, excluding: UInt64?, features: Bool) throws -> SearchResult {
        var filter = SearchFilter()
        if let folder = filters.folder {
            filter.allowedIDs = try index.ids(inFolder: folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder)
        }
        if filters.modifiedAfter != nil || filters.modifiedBefore != nil {
            let low = filters.modifiedAfter.map { Int64(($0 * 1e9).rounded(.down)) } ?? Int64.min
            let high = filters.modifiedBefore.map { Int64(($0 * 1e9).rounded(.up)) - 1 } ?? Int64.max
            guard low <= high else { return SearchResult(hits: []) }
            filter.mtimeRange = low...high
        }
        if let excluding { filter.predicate = { $0 != excluding } }
        filter.hide(hiddenIDs())
        let hits = try index.search.search(query, k: k, filter: filter)
        let records = try index.records(ids: hits.map(\.id), includeFloats: features)
        let byID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return SearchResult(hits: hits.compactMap { hit in
            byID[hit.id].map {
                PhotoqProtocol.SearchHit(id: hit.id, path: $0.path, score: hit.score,
                                         modified: Double($0.mtimeNanoseconds) / 1e9, feature: features ? $0.feature : nil)
            }
        })
    }
}
