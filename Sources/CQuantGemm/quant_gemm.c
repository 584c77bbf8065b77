// The portable kernel and the run-time choice of kernel.
#pragma STDC FP_CONTRACT OFF

#include "quant_gemm.h"
#include "quant_layout.h"

#include <stddef.h>

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

int pq_has_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    // Threads may race to fill it; they all store the same answer.
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}

void pq_linear(float *out, const int16_t *q, const float *x_scales,
               const int16_t *packed, const float *w_scales, const float *bias,
               int tokens, int out_features, int in_features, int accumulate, pq_kernel kernel) {
#if defined(__x86_64__) || defined(__i386__)
    if (kernel == PQ_KERNEL_AUTO && pq_has_avx2()) {
        pq_linear_avx2(out, q, x_scales, packed, w_scales, bias, tokens, out_features, in_features, accumulate);
        return;
    }
#endif
    pq_linear_portable(out, q, x_scales, packed, w_scales, bias, tokens, out_features, in_features, accumulate);
}
