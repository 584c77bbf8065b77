import Dispatch
import Glibc

/// At most this many blocking jobs run at once: a page of 40 thumbnails
/// must not mean 40 photos decoded side by side (memory), nor starve the daemon.
private let jobSlots = DispatchSemaphore(value: max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

/// Runs blocking work (socket calls to photoqd, decoding, the explain
/// network) on a Dispatch thread, so Swift concurrency's few threads stay
/// free to serve other requests meanwhile.
func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            jobSlots.wait()
            defer { jobSlots.signal() }
            continuation.resume(with: Result { try work() })
        }
    }
}
