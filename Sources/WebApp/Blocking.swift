import Dispatch

/// Runs blocking work (socket calls to photoqd, decoding, the explain
/// network) on a Dispatch thread, so Swift concurrency's few threads stay
/// free to serve other requests meanwhile.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(with: Result { try work() })
        }
    }
}
