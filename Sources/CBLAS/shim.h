// OpenBLAS's CBLAS interface. Debian installs it under the multiarch include
// directory, which clang searches by default.
#include <cblas.h>
#include <string.h>

// OpenBLAS picks its kernels by the CPU's model number when it loads. 0.3.21
// (Debian 12) knows no CPU after Sapphire Rapids and falls back to Prescott's
// SSE3 kernels, four times slower GEMMs (Emerald Rapids, family 6 model 207).
// The core to ask for with OPENBLAS_CORETYPE, given the core OpenBLAS chose
// and the CPU's features, or NULL when its choice already uses them.
static inline const char *pq_openblas_core_for(const char *chosen, int avx2_fma, int avx512) {
    static const char *const predating_avx2[] = {
        "Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Sandybridge", "Atom",
        "Katmai", "Coppermine", "Northwood", "Banias",
    };
    if (!avx2_fma) return NULL;
    for (size_t i = 0; i < sizeof predating_avx2 / sizeof *predating_avx2; i++) {
        if (strcmp(chosen, predating_avx2[i]) == 0) return avx512 ? "SkylakeX" : "Haswell";
    }
    return NULL;
}

// The features OpenBLAS's Haswell and SkylakeX kernels need, as this CPU
// and OS provide them (the OS must save the AVX-512 state).
static inline int pq_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

static inline int pq_cpu_has_avx512_skylakex(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512cd");
}
