internal import CBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Which kernels OpenBLAS runs, and the one correction photoq makes to its
/// choice: on a CPU whose model number it does not know, OpenBLAS 0.3.21
/// falls back to SSE3 kernels although the CPU has AVX2 or AVX-512 (shim.h).
/// It reads OPENBLAS_CORETYPE only while loading, so the programs that
/// multiply matrices start again with it set (`restartWithBetterCoreIfNeeded`).
public enum OpenBLASCore {
    /// The kernel family OpenBLAS chose ("Haswell", "SkylakeX", "Prescott"…).
    public static var name: String { String(cString: openblas_get_corename()) }

    /// The family to ask for instead, or nil when OpenBLAS's choice stands.
    public static func better(than chosen: String, avx2FMA: Bool, avx512: Bool) -> String? {
        pq_openblas_core_for(chosen, avx2FMA ? 1 : 0, avx512 ? 1 : 0).map { String(cString: $0) }
    }

    /// The family this CPU should run, or nil when OpenBLAS's choice stands.
    public static var better: String? {
        better(than: name, avx2FMA: pq_cpu_has_avx2_fma() != 0, avx512: pq_cpu_has_avx512_skylakex() != 0)
    }

    /// Replaces this process with itself (same pid, arguments and open files,
    /// so socket activation still holds) with OPENBLAS_CORETYPE set, when
    /// OpenBLAS chose kernels older than the CPU and the user set none.
    /// Returns when nothing needs doing or the restart failed.
    public static func restartWithBetterCoreIfNeeded() {
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = better else { return }
        // Set even if exec fails, so nothing below tries again.
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
