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

void pq_linear_portable(float *out, const int16_t *q, const float *x_scales,
                        const int16_t *packed, const float *w_scales, const float *bias,
                        int tokens, int out_features, int in_features, int accumulate);

#if defined(__x86_64__) || defined(__i386__)
void pq_linear_avx2(float *out, const int16_t *q, const float *x_scales,
                    const int16_t *packed, const float *w_scales, const float *bias,
                    int tokens, int out_features, int in_features, int accumulate);
#endif

#endif
