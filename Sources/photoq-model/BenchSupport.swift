import CBLAS
import Foundation
import Model

// Shared pieces of the benchmarks: clocks, a BLAS peak, parallel loops, tables.

enum BenchClock {
    /// Wall-clock seconds (throughput).
    static func now() -> Double { read(CLOCK_MONOTONIC) }

    /// CPU seconds of the calling thread: per-photo costs measured this way
    /// hold up on a machine busy with other work.
    static func threadCPU() -> Double { read(CLOCK_THREAD_CPUTIME_ID) }

    private static func read(_ clock: clockid_t) -> Double {
        var t = timespec()
        clock_gettime(clock, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}

/// The 1-minute load average, to judge how busy the machine was.
func loadAverage() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
          let first = text.split(separator: " ").first, let value = Double(first) else { return .nan }
    return value
}

/// Single-threaded `cblas_sgemm` GFLOP/s on an n×n×n product, in thread CPU
/// time: best of `repeats`.
func measureSgemmPeak(size n: Int = 1024, repeats: Int = 5) -> Double {
    let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
    var c = [Float](repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = BenchClock.threadCPU()
        c.withUnsafeMutableBufferPointer { gemm($0.baseAddress!, a, b, m: n, n: n, k: n) }
        best = min(best, BenchClock.threadCPU() - start)
    }
    return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
}

/// Runs `body(worker, index)` for every index in 0..<count over `threads`
/// threads that take indices one at a time (photos vary in cost).
func parallelForEach(count: Int, threads: Int, _ body: @escaping @Sendable (_ worker: Int, _ index: Int) -> Void) {
    let next = IndexCounter()
    DispatchQueue.concurrentPerform(iterations: threads) { worker in
        while let index = next.take(below: count) { body(worker, index) }
    }
}

private final class IndexCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < limit else { return nil }
        value += 1
        return value - 1
    }
}

/// Per-worker mutable state reached from a @Sendable closure; each worker
/// touches only its own slot.
final class PerWorker<Value>: @unchecked Sendable {
    var slots: [Value]
    init(count: Int, _ make: () -> Value) { slots = (0..<count).map { _ in make() } }
}

/// A left-aligned text table.
func formatTable(_ rows: [[String]]) -> String {
    guard let columns = rows.map(\.count).max() else { return "" }
    let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { c, cell in
            c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

func fixed(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
