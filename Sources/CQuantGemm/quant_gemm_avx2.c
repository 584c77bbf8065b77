// The AVX2 kernel, compiled for AVX2 function by function so the target
// builds for any x86-64 and `pq_linear` picks it only on CPUs that have it.
//
// A tile is up to 3 tokens × 3 blocks of 8 output rows: 9 accumulators of
// 8 int32, which with 3 weight vectors, a broadcast and a product fit the 16
// registers (4 × 3 spilled an accumulator every step and ran no faster).
// Per column pair, each block's 16 weights are one load, each token's two
// activations one broadcast, and vpmaddwd adds both products into int32
// lanes (exact: the caller bounds the values so no sum overflows).
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(__i386__)

#include "quant_gemm.h"
#include "quant_layout.h"
#include "quant_store_avx2.h"

#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#define PQ_TILE_TOKENS 3
#define PQ_TILE_BLOCKS 3
#define PQ_AVX2 __attribute__((target("avx2")))

/// One tile of T tokens × B blocks; inlined with constant T and B so the
/// accumulators stay in registers.
PQ_AVX2 __attribute__((always_inline)) static inline void
pq_tile(int T, int B, float *out, const int16_t *q, const float *x_scales, const int16_t *packed,
        const float *w_scales, const float *bias, int first_row, int out_features, int in_features,
        int accumulate) {
    int pairs = pq_pairs(in_features), padded = 2 * pairs;
    long stride = pq_block_stride(in_features);
    __m256i acc[PQ_TILE_TOKENS][PQ_TILE_BLOCKS];
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) acc[t][b] = _mm256_setzero_si256();
    const int16_t *w = packed + (first_row / PQ_BLOCK_ROWS) * stride;
    for (int p = 0; p < pairs; p++) {
        __m256i weights[PQ_TILE_BLOCKS];
        for (int b = 0; b < B; b++) {
            weights[b] = _mm256_loadu_si256((const __m256i *)(w + b * stride + (long)p * 2 * PQ_BLOCK_ROWS));
        }
        for (int t = 0; t < T; t++) {
            int32_t pair;
            memcpy(&pair, q + (long)t * padded + 2 * p, sizeof pair);
            __m256i x = _mm256_set1_epi32(pair);
            for (int b = 0; b < B; b++) acc[t][b] = _mm256_add_epi32(acc[t][b], _mm256_madd_epi16(x, weights[b]));
        }
    }
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++) {
            int row = first_row + b * PQ_BLOCK_ROWS;
            int rows = out_features - row < PQ_BLOCK_ROWS ? out_features - row : PQ_BLOCK_ROWS;
            pq_store_block(out + (long)t * out_features + row, acc[t][b], x_scales[t], w_scales + row,
                           bias ? bias + row : NULL, rows, accumulate);
        }
    }
}

#define PQ_TILE_CASE(T, B) \
    case (T) * 8 + (B): \
        pq_tile(T, B, out, q, x_scales, packed, w_scales, bias, first_row, out_features, in_features, accumulate); \
        break;

PQ_AVX2 static void pq_any_tile(int tokens, int blocks, float *out, const int16_t *q, const float *x_scales,
                                const int16_t *packed, const float *w_scales, const float *bias, int first_row,
                                int out_features, int in_features, int accumulate) {
    switch (tokens * 8 + blocks) {
        PQ_TILE_CASE(3, 3) PQ_TILE_CASE(3, 2) PQ_TILE_CASE(3, 1)
        PQ_TILE_CASE(2, 3) PQ_TILE_CASE(2, 2) PQ_TILE_CASE(2, 1)
        PQ_TILE_CASE(1, 3) PQ_TILE_CASE(1, 2) PQ_TILE_CASE(1, 1)
        default: break;
    }
}

void pq_linear_avx2(float *out, const int16_t *q, const float *x_scales,
                    const int16_t *packed, const float *w_scales, const float *bias,
                    int tokens, int out_features, int in_features, int accumulate) {
    pq_linear_tiled(pq_any_tile, PQ_TILE_TOKENS, PQ_TILE_BLOCKS, out, q, x_scales, packed, w_scales, bias, tokens,
                    out_features, in_features, accumulate);
}

#endif
