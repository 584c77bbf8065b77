#ifndef PHOTOQ_QUANT_GEMM_H
#define PHOTOQ_QUANT_GEMM_H

#include <stdint.h>

// Integer dense layers: out (N,M) = x (N,K) · wᵀ (+ bias, + residual), with
// w quantised once to symmetric integers per output row and x quantised per
// token row when the layer runs. Products and sums are exact int32, so every
// kernel computes the same bits; only the speed differs.
//
// Weights are packed in blocks of 8 output rows, K in pairs of columns:
// block g, pair p holds w[8g+r][2p], w[8g+r][2p+1] for r = 0..7 (16 int16,
// one AVX2 register), rows past M and the odd column past K are zero.

#ifdef __cplusplus
extern "C" {
#endif

/// Which kernel runs the products.
typedef enum {
    /// The fastest this CPU supports (AVX-512 VNNI, else AVX2, where present).
    PQ_KERNEL_AUTO = 0,
    /// The portable C loops, whatever the CPU.
    PQ_KERNEL_PORTABLE = 1,
    /// vpmaddwd over 256 bits; runs only where `pq_kernel_supported` says so.
    PQ_KERNEL_AVX2 = 2,
    /// vpdpwssd over 512 bits; runs only where `pq_kernel_supported` says so.
    PQ_KERNEL_AVX512_VNNI = 3,
} pq_kernel;

/// K rounded up to whole column pairs: the row stride of quantised activations.
int pq_padded_inputs(int in_features);

/// Int16 elements `pq_pack_weights` writes for an (M,K) matrix.
long pq_packed_weight_count(int out_features, int in_features);

/// Quantises w (M,K), row-major, to integers in [-weight_limit, weight_limit]
/// per row (scale_r = max|w_r| / weight_limit; a zero row gets scale 0;
/// q = rint(w · (limit / max)) in float, or in double where limit / max
/// overflows a float) and
/// writes them packed into `packed` (pq_packed_weight_count elements) and
/// the row scales into `scales` (M). `row` is scratch for K int16.
void pq_pack_weights(const float *w, int out_features, int in_features, int weight_limit,
                     int16_t *packed, float *scales, int16_t *row);

/// The largest activation magnitude whose products with weights up to
/// `weight_limit` cannot overflow an int32 sum over `in_features` columns,
/// capped at 32767.
int pq_activation_limit(int in_features, int weight_limit);

/// Quantises x (N,K) per row to integers in [-limit, limit], as
/// `pq_pack_weights` does, into q (N, padded K, pad column zero) and the row
/// scales into `scales` (N).
void pq_quantize_rows(const float *x, int tokens, int in_features, int limit,
                      int16_t *q, float *scales);

/// out (N,M) = dequantised q·wᵀ + bias, or out + that when `accumulate` (out
/// holds a residual on entry). q and x_scales from `pq_quantize_rows`,
/// packed and w_scales from `pq_pack_weights`, bias (M) or NULL.
/// The caller keeps |q| ≤ pq_activation_limit(K, weight limit).
void pq_linear(float *out, const int16_t *q, const float *x_scales,
               const int16_t *packed, const float *w_scales, const float *bias,
               int tokens, int out_features, int in_features, int accumulate, pq_kernel kernel);

/// 1 when this CPU (and its kernel, for the AVX-512 state) can run `kernel`.
int pq_kernel_supported(pq_kernel kernel);

/// The kernel `PQ_KERNEL_AUTO` runs on this CPU: the widest it supports,
/// capped by PHOTOQ_INT8_KERNEL=avx2|portable when that is set.
pq_kernel pq_automatic_kernel(void);

/// `widest` capped by a PHOTOQ_INT8_KERNEL value (NULL when unset): "portable"
/// gives the portable kernel, "avx2" lowers AVX-512 VNNI to AVX2, and any
/// other value leaves `widest`, so the cap never picks a kernel the CPU lacks.
pq_kernel pq_capped_kernel(pq_kernel widest, const char *cap);

#ifdef __cplusplus
}
#endif

#endif
