// Inner loops of photoq's CNN that need wider vectors than Swift can emit for
// a generic x86-64 target: compiled once per instruction set (AVX-512,
// AVX2+FMA, baseline) and picked at load time by the CPU it runs on.
#ifndef CCONV_KERNELS_H
#define CCONV_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// dst[i] = act(bias + sum_t weight[t] * src[i + offsets[t]]) for i in
/// [0, count): one run of a depthwise convolution over a padded plane
/// (taps = k*k); act is ReLU6 when relu6 != 0, else identity.
void cconv_depthwise_run(float *dst, const float *src, ptrdiff_t count,
                         const float *weight, const ptrdiff_t *offsets, int taps, float bias, int relu6);

/// even[j] = src[2j], odd[j] = src[2j+1] for the count elements of src: splits
/// a row into the column phases a stride-2 convolution reads contiguously.
void cconv_deinterleave2(float *even, float *odd, const float *src, ptrdiff_t count);

/// out (M,N) = act(w (M,K) · x (K,N) + bias (M) [+ residual (M,N)]), all
/// row-major and dense; act is ReLU6 when relu6 != 0, else identity;
/// residual may be NULL. A 1×1 convolution over N positions.
void cconv_pointwise(float *out, const float *w, const float *x, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K,
                     const float *bias, const float *residual, int relu6);

/// The instruction set the kernels above run with on this CPU ("avx512f",
/// "avx2" or "baseline"), for benchmark reports.
const char *cconv_instruction_set(void);

#ifdef __cplusplus
}
#endif

#endif
