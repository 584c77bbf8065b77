import Foundation

/// Runs a per-item computation on `threads` threads, each with its own worker
/// (a network has per-thread scratch buffers), with a progress bar. Items that
/// throw are reported and left out. Returns the outputs of the items that
/// succeeded, in input order, and the failures.
public func extractInParallel<Output: Sendable>(
    count: Int, threads: Int, label: String,
    makeWorker: @Sendable () throws -> (@Sendable (Int) throws -> Output)
) throws -> (outputs: [(index: Int, output: Output)], failures: [(index: Int, error: String)]) {
    let state = ExtractionState<Output>(count: count)
    let progress = ProgressBar(label: label, total: count)
    let workerCount = max(1, min(threads, count))
    DispatchQueue.concurrentPerform(iterations: workerCount) { _ in
        let worker: @Sendable (Int) throws -> Output
        do { worker = try makeWorker() } catch { state.fail(setupError: "\(error)"); return }
        while let i = state.nextIndex() {
            do { state.store(i, try worker(i)) } catch { state.store(i, error: "\(error)") }
            progress.advance()
        }
    }
    progress.finish()
    if let setupError = state.setupError { throw ExtractionError.workerSetup(setupError) }
    return state.results()
}

public enum ExtractionError: Error, CustomStringConvertible {
    case workerSetup(String)
    public var description: String {
        switch self { case let .workerSetup(reason): return "cannot start feature extraction: \(reason)" }
    }
}

/// Shared between the worker threads; every access holds the lock.
private final class ExtractionState<Output: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private let count: Int
    private var outputs: [Output?]
    private var errors: [String?]
    private(set) var setupError: String?

    init(count: Int) {
        self.count = count
        outputs = Array(repeating: nil, count: count)
        errors = Array(repeating: nil, count: count)
    }

    func nextIndex() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count, setupError == nil else { return nil }
        next += 1
        return next - 1
    }

    func store(_ i: Int, _ output: Output) { lock.lock(); outputs[i] = output; lock.unlock() }
    func store(_ i: Int, error: String) { lock.lock(); errors[i] = error; lock.unlock() }
    func fail(setupError: String) { lock.lock(); self.setupError = setupError; lock.unlock() }

    func results() -> (outputs: [(index: Int, output: Output)], failures: [(index: Int, error: String)]) {
        lock.lock(); defer { lock.unlock() }
        let ok = outputs.enumerated().compactMap { item in item.element.map { (item.offset, $0) } }
        let bad = errors.enumerated().compactMap { item in item.element.map { (item.offset, $0) } }
        return (ok, bad)
    }
}
