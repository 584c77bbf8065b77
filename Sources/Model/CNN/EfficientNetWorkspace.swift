#if canImport(Glibc)
import Glibc
#endif

/// Buffers one thread reuses across forward passes, so the hot path allocates
/// nothing. Not thread-safe: give each thread its own. Grows when a larger
/// batch arrives and keeps that size.
public final class EfficientNetWorkspace {
    /// Time and work of the passes run with this workspace (for benchmarks).
    public var stats = ForwardStats()
    /// Also accumulate each convolution's time in `stats.layerSeconds`.
    public var profileLayers = false

    /// Four trunk buffers of (largest activation · batch) floats: block input,
    /// expanded, depthwise output, block output.
    private(set) var trunk: [UnsafeMutablePointer<Float>] = []
    private(set) var columns: UnsafeMutablePointer<Float>?  // stem im2col (27, N·112·112)
    private(set) var depthwiseScratch: UnsafeMutablePointer<Float>?
    private var trunkCount = 0
    private var columnCount = 0
    private var scratchCount = 0

    public init() {}

    deinit { release() }

    /// Grows the buffers when `network` at `batch` needs more than they hold
    /// (a bigger batch, or a bigger network or input); never shrinks them.
    func reserve(for network: EfficientNetLite, batch: Int) {
        let stemOut = SamePadding(size: network.imageSize, kernel: EfficientNetLite.stemKernel,
                                  stride: EfficientNetLite.stemStride).output
        let trunkNeeded = network.largestActivation * batch
        let columnsNeeded = 3 * EfficientNetLite.stemKernel * EfficientNetLite.stemKernel * stemOut * stemOut * batch
        let scratchNeeded = network.largestDepthwiseScratch
        guard trunkNeeded > trunkCount || columnsNeeded > columnCount || scratchNeeded > scratchCount else { return }
        release()
        trunkCount = max(trunkCount, trunkNeeded)
        columnCount = max(columnCount, columnsNeeded)
        scratchCount = max(scratchCount, scratchNeeded)
        trunk = (0..<4).map { _ in Self.allocate(trunkCount) }
        columns = Self.allocate(columnCount)
        depthwiseScratch = Self.allocate(scratchCount)
    }

    /// 64-byte aligned, so GEMM and vector loops start on cache lines.
    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    private func release() {
        for buffer in trunk { buffer.deallocate() }
        trunk = []
        columns?.deallocate()
        columns = nil
        depthwiseScratch?.deallocate()
        depthwiseScratch = nil
    }
}

/// Accumulated thread CPU time per kind of work, and the GEMM work done.
public struct ForwardStats: Sendable {
    public var images = 0
    public var gemmSeconds = 0.0
    /// 2·M·N·K summed over the convolution GEMMs (stem, 1×1 convs, head).
    public var gemmFlops = 0.0
    public var depthwiseSeconds = 0.0
    /// Normalisation, im2col, bias/ReLU6/residual passes, pooling, classifier.
    public var otherSeconds = 0.0
    /// Per convolution ("stem", "blocks.3.expand", …) when profiling layers.
    public var layerSeconds: [String: Double] = [:]

    public init() {}

    public var totalSeconds: Double { gemmSeconds + depthwiseSeconds + otherSeconds }
    public var gemmGflops: Double { gemmSeconds > 0 ? gemmFlops / gemmSeconds / 1e9 : 0 }

    public static func + (a: ForwardStats, b: ForwardStats) -> ForwardStats {
        var s = a
        s.images += b.images
        s.gemmSeconds += b.gemmSeconds
        s.gemmFlops += b.gemmFlops
        s.depthwiseSeconds += b.depthwiseSeconds
        s.otherSeconds += b.otherSeconds
        s.layerSeconds.merge(b.layerSeconds, uniquingKeysWith: +)
        return s
    }
}

/// CPU seconds used by the calling thread: per-layer timings stay meaningful
/// on a machine busy with other work.
@inline(__always)
func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
