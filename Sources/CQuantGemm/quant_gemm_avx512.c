// The AVX-512 VNNI kernel, compiled for those extensions function by function
// so the target builds for any x86-64 and `pq_linear` picks it only on CPUs
// (and kernels) that have them.
//
// One vpdpwssd multiplies 16 int16 pairs and adds them into int32 lanes, what
// vpmaddwd plus vpaddd do in the AVX2 kernel, over twice the width. A zmm of
// weights is one block's two consecutive column pairs (rows 0–7 of pair p,
// then of pair p+1: the packed layout unchanged), so the token's activations
// are permuted to match and the two halves of each accumulator are added at
// the end. Integer sums are exact, so the result equals the other kernels'
// bit for bit.
//
// A tile is up to 4 tokens × 6 blocks: 24 accumulators, 4 activation
// registers and the weights loaded one block at a time fit the 32 registers.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__) || defined(__i386__)

#include "quant_gemm.h"
#include "quant_layout.h"
#include "quant_store_avx2.h"

#include <immintrin.h>
#include <stddef.h>
#include <string.h>

#define PQ_TILE_TOKENS 4
#define PQ_TILE_BLOCKS 6
#define PQ_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2")))

/// One tile of T tokens × B blocks; inlined with constant T and B so the
/// accumulators stay in registers.
PQ_AVX512 __attribute__((always_inline)) static inline void
pq_tile_512(int T, int B, float *out, const int16_t *q, const float *x_scales, const int16_t *packed,
            const float *w_scales, const float *bias, int first_row, int out_features, int in_features,
            int accumulate) {
    int pairs = pq_pairs(in_features), padded = 2 * pairs;
    long stride = pq_block_stride(in_features);
    // Lanes 0–7 take the first pair's 32 bits, lanes 8–15 the second's.
    const __m512i spread = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    __m512i acc[PQ_TILE_TOKENS][PQ_TILE_BLOCKS];
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) acc[t][b] = _mm512_setzero_si512();
    const int16_t *w = packed + (first_row / PQ_BLOCK_ROWS) * stride;
    int p = 0;
    for (; p + 2 <= pairs; p += 2) {
        __m512i x[PQ_TILE_TOKENS];
        for (int t = 0; t < T; t++) {
            x[t] = _mm512_permutexvar_epi32(spread, _mm512_castsi128_si512(
                                                        _mm_loadl_epi64((const __m128i *)(q + (long)t * padded + 2 * p))));
        }
        for (int b = 0; b < B; b++) {
            __m512i weights = _mm512_loadu_si512((const void *)(w + b * stride + (long)p * 2 * PQ_BLOCK_ROWS));
            for (int t = 0; t < T; t++) acc[t][b] = _mm512_dpwssd_epi32(acc[t][b], x[t], weights);
        }
    }
    if (p < pairs) {
        // The last, odd pair: only the low half of the weights exists; the
        // activations' high lanes are zero.
        __m512i x[PQ_TILE_TOKENS];
        for (int t = 0; t < T; t++) {
            int32_t pair;
            memcpy(&pair, q + (long)t * padded + 2 * p, sizeof pair);
            x[t] = _mm512_maskz_set1_epi32(0x00FF, pair);
        }
        for (int b = 0; b < B; b++) {
            __m512i weights = _mm512_maskz_loadu_epi16(0x0000FFFFu, w + b * stride + (long)p * 2 * PQ_BLOCK_ROWS);
            for (int t = 0; t < T; t++) acc[t][b] = _mm512_dpwssd_epi32(acc[t][b], x[t], weights);
        }
    }
    for (int t = 0; t < T; t++) {
        for (int b = 0; b < B; b++) {
            int row = first_row + b * PQ_BLOCK_ROWS;
            int rows = out_features - row < PQ_BLOCK_ROWS ? out_features - row : PQ_BLOCK_ROWS;
            // Even pairs were summed in the low half, odd pairs in the high half.
            __m256i sum = _mm256_add_epi32(_mm512_castsi512_si256(acc[t][b]), _mm512_extracti64x4_epi64(acc[t][b], 1));
            pq_store_block(out + (long)t * out_features + row, sum, x_scales[t], w_scales + row,
                           bias ? bias + row : NULL, rows, accumulate);
        }
    }
}

#define PQ_TILE_CASE(T, B) \
    case (T) * 8 + (B): \
        pq_tile_512(T, B, out, q, x_scales, packed, w_scales, bias, first_row, out_features, in_features, accumulate); \
        break;

PQ_AVX512 static void pq_any_tile_512(int tokens, int blocks, float *out, const int16_t *q, const float *x_scales,
                                      const int16_t *packed, const float *w_scales, const float *bias, int first_row,
                                      int out_features, int in_features, int accumulate) {
    switch (tokens * 8 + blocks) {
        PQ_TILE_CASE(4, 6) PQ_TILE_CASE(4, 5) PQ_TILE_CASE(4, 4) PQ_TILE_CASE(4, 3) PQ_TILE_CASE(4, 2) PQ_TILE_CASE(4, 1)
        PQ_TILE_CASE(3, 6) PQ_TILE_CASE(3, 5) PQ_TILE_CASE(3, 4) PQ_TILE_CASE(3, 3) PQ_TILE_CASE(3, 2) PQ_TILE_CASE(3, 1)
        PQ_TILE_CASE(2, 6) PQ_TILE_CASE(2, 5) PQ_TILE_CASE(2, 4) PQ_TILE_CASE(2, 3) PQ_TILE_CASE(2, 2) PQ_TILE_CASE(2, 1)
        PQ_TILE_CASE(1, 6) PQ_TILE_CASE(1, 5) PQ_TILE_CASE(1, 4) PQ_TILE_CASE(1, 3) PQ_TILE_CASE(1, 2) PQ_TILE_CASE(1, 1)
        default: break;
    }
}

void pq_linear_avx512_vnni(float *out, const int16_t *q, const float *x_scales,
                           const int16_t *packed, const float *w_scales, const float *bias,
                           int tokens, int out_features, int in_features, int accumulate) {
    pq_linear_tiled(pq_any_tile_512, PQ_TILE_TOKENS, PQ_TILE_BLOCKS, out, q, x_scales, packed, w_scales, bias, tokens,
                    out_features, in_features, accumulate);
}

#endif
