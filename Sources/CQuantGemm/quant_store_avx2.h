#ifndef PHOTOQ_QUANT_STORE_AVX2_H
#define PHOTOQ_QUANT_STORE_AVX2_H

// The vector kernels' epilogue of one block for one token: the formula of
// pq_dequantize, eight rows at a time, or row by row for the last, partial
// block. Compiled for AVX2; the AVX-512 kernel's functions inline it too.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(__i386__)

#include "quant_layout.h"

#include <immintrin.h>
#include <stddef.h>

__attribute__((target("avx2"))) static inline void pq_store_block(float *out, __m256i sum, float x_scale,
                                                                  const float *w_scales, const float *bias,
                                                                  int rows, int accumulate) {
    if (rows == PQ_BLOCK_ROWS) {
        __m256 scale = _mm256_mul_ps(_mm256_set1_ps(x_scale), _mm256_loadu_ps(w_scales));
        __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(sum), scale);
        if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias));
        if (accumulate) v = _mm256_add_ps(_mm256_loadu_ps(out), v);
        _mm256_storeu_ps(out, v);
        return;
    }
    int32_t sums[PQ_BLOCK_ROWS];
    _mm256_storeu_si256((__m256i *)sums, sum);
    for (int r = 0; r < rows; r++) {
        out[r] = pq_dequantize(sums[r], x_scale, w_scales[r], bias, r, accumulate ? out + r : NULL);
    }
}

#endif

#endif
