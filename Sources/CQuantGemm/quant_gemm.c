// The portable kernel and the run-time choice of kernel.
#pragma STDC FP_CONTRACT OFF

#include "quant_gemm.h"
#include "quant_layout.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

void pq_linear_portable(float *out, const int16_t *q, const float *x_scales,
                        const int16_t *packed, const float *w_scales, const float *bias,
                        int tokens, int out_features, int in_features, int accumulate) {
    int pairs = pq_pairs(in_features), padded = 2 * pairs;
    long stride = pq_block_stride(in_features);
    for (int n = 0; n < tokens; n++) {
        const int16_t *x = q + (long)n * padded;
        for (int r = 0; r < out_features; r++) {
            const int16_t *w = packed + (r / PQ_BLOCK_ROWS) * stride + (r % PQ_BLOCK_ROWS) * 2;
            int32_t sum = 0;
            for (int p = 0; p < pairs; p++) {
                const int16_t *pair = w + p * 2 * PQ_BLOCK_ROWS;
                sum += (int32_t)x[2 * p] * pair[0] + (int32_t)x[2 * p + 1] * pair[1];
            }
            float *o = out + (long)n * out_features + r;
            *o = pq_dequantize(sum, x_scales[n], w_scales[r], bias, r, accumulate ? o : NULL);
        }
    }
}

void pq_linear_tiled(pq_tile_function tile, int tile_tokens, int tile_blocks, float *out, const int16_t *q,
                     const float *x_scales, const int16_t *packed, const float *w_scales, const float *bias,
                     int tokens, int out_features, int in_features, int accumulate) {
    int padded = 2 * pq_pairs(in_features);
    int blocks = (out_features + PQ_BLOCK_ROWS - 1) / PQ_BLOCK_ROWS;
    for (int block = 0; block < blocks; block += tile_blocks) {
        int these_blocks = blocks - block < tile_blocks ? blocks - block : tile_blocks;
        for (int n = 0; n < tokens; n += tile_tokens) {
            int these_tokens = tokens - n < tile_tokens ? tokens - n : tile_tokens;
            tile(these_tokens, these_blocks, out + (long)n * out_features, q + (long)n * padded, x_scales + n,
                 packed, w_scales, bias, block * PQ_BLOCK_ROWS, out_features, in_features, accumulate);
        }
    }
}

/// The widest kernel the CPU runs, whatever PHOTOQ_INT8_KERNEL says.
/// compiler-rt's answers include the OS check (XGETBV) that the AVX-512
/// registers are saved across context switches.
static pq_kernel pq_widest_kernel(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) return PQ_KERNEL_AVX512_VNNI;
    if (__builtin_cpu_supports("avx2")) return PQ_KERNEL_AVX2;
#endif
    return PQ_KERNEL_PORTABLE;
}

pq_kernel pq_capped_kernel(pq_kernel widest, const char *cap) {
    if (cap && strcmp(cap, "portable") == 0) return PQ_KERNEL_PORTABLE;
    if (cap && strcmp(cap, "avx2") == 0 && widest == PQ_KERNEL_AVX512_VNNI) return PQ_KERNEL_AVX2;
    return widest;
}

pq_kernel pq_automatic_kernel(void) {
#if defined(__x86_64__) || defined(__i386__)
    // Threads may race to fill it; they all store the same answer.
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        known = pq_capped_kernel(pq_widest_kernel(), getenv("PHOTOQ_INT8_KERNEL"));
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return (pq_kernel)known;
#else
    return PQ_KERNEL_PORTABLE;
#endif
}

int pq_kernel_supported(pq_kernel kernel) {
    pq_kernel best = pq_widest_kernel();
    switch (kernel) {
        case PQ_KERNEL_AUTO:
        case PQ_KERNEL_PORTABLE: return 1;
        case PQ_KERNEL_AVX2: return best == PQ_KERNEL_AVX2 || best == PQ_KERNEL_AVX512_VNNI;
        case PQ_KERNEL_AVX512_VNNI: return best == PQ_KERNEL_AVX512_VNNI;
    }
    return 0;
}

void pq_linear(float *out, const int16_t *q, const float *x_scales,
               const int16_t *packed, const float *w_scales, const float *bias,
               int tokens, int out_features, int in_features, int accumulate, pq_kernel kernel) {
    // A kernel this CPU cannot run falls back to the portable one.
    pq_kernel chosen = kernel == PQ_KERNEL_AUTO ? pq_automatic_kernel()
                       : pq_kernel_supported(kernel) ? kernel : PQ_KERNEL_PORTABLE;
#if defined(__x86_64__) || defined(__i386__)
    if (chosen == PQ_KERNEL_AVX512_VNNI) {
        pq_linear_avx512_vnni(out, q, x_scales, packed, w_scales, bias, tokens, out_features, in_features, accumulate);
        return;
    }
    if (chosen == PQ_KERNEL_AVX2) {
        pq_linear_avx2(out, q, x_scales, packed, w_scales, bias, tokens, out_features, in_features, accumulate);
        return;
    }
#endif
    pq_linear_portable(out, q, x_scales, packed, w_scales, bias, tokens, out_features, in_features, accumulate);
}
