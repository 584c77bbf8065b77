#if canImport(Glibc)
import Glibc
#endif
import PhotoqProtocol

/// The requests photoq makes, over one connection to photoqd.
public final class PhotoqClient {
    public let socketPath: String
    private let connection: DaemonConnection
    /// Photos still being indexed, as the last search or similar said.
    public private(set) var lastPending: Int?
    /// The relevance cutoff the last search applied and the hits it dropped.
    public private(set) var lastCutoff: (minScore: Double, below: Int)?

    /// Connects (fails with `.unavailable` and a how-to-start message, or with
    /// `.permissionDenied` when the socket is served by another uid than `serverUID`).
    public init(socketPath: String, timeout: Double = 30, serverUID: UInt32 = getuid()) throws(ClientFailure) {
        self.socketPath = socketPath
        do { connection = try DaemonConnection(path: socketPath, timeout: timeout, serverUID: serverUID) } catch {
            throw ClientFailure(error, socketPath: socketPath)
        }
    }

    /// The socket from `--socket`, else `$PHOTOQ_SOCKET`, else the standard path.
    public static func socketPath(flag: String?, environment: [String: String]) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let env = environment["PHOTOQ_SOCKET"], !env.isEmpty { return env }
        return UnixSocket.defaultPath(environment: environment)
    }

    public func search(_ request: SearchRequest) throws(ClientFailure) -> [SearchHit] {
        let result = try call(.search(request), SearchResult.self)
        lastPending = result.pending
        lastCutoff = result.minScore.map { ($0, result.belowMinScore ?? 0) }
        return result.hits
    }

    public func similar(_ request: SimilarRequest) throws(ClientFailure) -> [SearchHit] {
        let result = try call(.similar(request), SearchResult.self)
        lastPending = result.pending
        lastCutoff = result.minScore.map { ($0, result.belowMinScore ?? 0) }
        return result.hits
    }

    public func status() throws(ClientFailure) -> StatusResult {
        try call(.status, StatusResult.self)
    }

    public func get(_ photo: PhotoReference) throws(ClientFailure) -> PhotoRecordResult {
        try call(.get(GetRequest(photo: photo)), PhotoRecordResult.self)
    }

    public func reindex(failedOnly: Bool) throws(ClientFailure) -> ReindexResult {
        try call(.reindex(ReindexRequest(failedOnly: failedOnly)), ReindexResult.self)
    }

    public func failures(offset: Int, limit: Int) throws(ClientFailure) -> FailuresResult {
        try call(.failures(FailuresRequest(offset: offset, limit: limit)), FailuresResult.self)
    }

    private func call<R: Codable & Sendable>(_ request: Request, _ type: R.Type) throws(ClientFailure) -> R {
        do { return try connection.call(request, expecting: type) } catch {
            throw ClientFailure(error, socketPath: socketPath)
        }
    }
}
