#ifndef PHOTOQ_QUANT_LAYOUT_H
#define PHOTOQ_QUANT_LAYOUT_H

// Shared by the kernels: the packed layout and the one epilogue formula both
// kernels must evaluate in the same order (multiply, add bias, add residual,
// never fused) for their outputs to agree bit for bit.

#include <stdint.h>

#define PQ_BLOCK_ROWS 8

static inline int pq_pairs(int in_features) { return (in_features + 1) / 2; }

/// Int16 elements of one 8-row block of packed weights.
static inline long pq_block_stride(int in_features) { return (long)pq_pairs(in_features) * 2 * PQ_BLOCK_ROWS; }

static inline float pq_dequantize(int32_t sum, float x_scale, float w_scale, const float *bias, int row,
                                  const float *residual) {
    float v = (float)sum * (x_scale * w_scale);
    if (bias) v = v + bias[row];
    if (residual) v = *residual + v;
    return v;
}

/// One kernel's tile: `tokens` × `blocks` (each at most the kernel's tile
/// size) starting at token 0 of `out`/`q` and at output row `first_row`.
typedef void (*pq_tile_function)(int tokens, int blocks, float *out, const int16_t *q, const float *x_scales,
                                 const int16_t *packed, const float *w_scales, const float *bias, int first_row,
                                 int out_features, int in_features, int accumulate);

/// Runs `tile` over the whole product. Row blocks outside, tokens inside: a
/// tile's weights stay in cache while every token passes over them.
void pq_linear_tiled(pq_tile_function tile, int tile_tokens, int tile_blocks, float *out, const int16_t *q,
                     const float *x_scales, const int16_t *packed, const float *w_scales, const float *bias,
                     int tokens, int out_features, int in_features, int accumulate);

void pq_linear_portable(float *out, const int16_t *q, const float *x_scales,
                        const int16_t *packed, const float *w_scales, const float *bias,
                        int tokens, int out_features, int in_features, int accumulate);

#if defined(__x86_64__) || defined(__i386__)
void pq_linear_avx2(float *out, const int16_t *q, const float *x_scales,
                    const int16_t *packed, const float *w_scales, const float *bias,
                    int tokens, int out_features, int in_features, int accumulate);
void pq_linear_avx512_vnni(float *out, const int16_t *q, const float *x_scales,
                           const int16_t *packed, const float *w_scales, const float *bias,
                           int tokens, int out_features, int in_features, int accumulate);
#endif

#endif
