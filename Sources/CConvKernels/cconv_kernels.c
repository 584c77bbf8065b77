#include "cconv_kernels.h"

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define MULTIVERSION
#endif

// Outputs kept in registers while every tap is applied: 64 (four AVX-512
// vectors) for long runs, then 16 and 8 for the short rows of stride-2 layers.
enum { BLOCK = 64 };

#define DEPTHWISE_BLOCK(width)                                              \
    for (; i + (width) <= count; i += (width)) {                            \
        float acc[width];                                                   \
        for (int j = 0; j < (width); j++) acc[j] = bias;                    \
        for (int t = 0; t < taps; t++) {                                    \
            const float w = weight[t];                                      \
            const float *s = src + i + offsets[t];                          \
            for (int j = 0; j < (width); j++) acc[j] += w * s[j];           \
        }                                                                   \
        if (relu6)                                                          \
            for (int j = 0; j < (width); j++) {                             \
                float v = acc[j] > 0.0f ? acc[j] : 0.0f; /* maxps, minps */ \
                acc[j] = v < 6.0f ? v : 6.0f;                               \
            }                                                               \
        for (int j = 0; j < (width); j++) dst[i + j] = acc[j];              \
    }

MULTIVERSION
static void depthwise_run_portable(float *restrict dst, const float *restrict src, ptrdiff_t count,
                                   const float *restrict weight, const ptrdiff_t *restrict offsets, int taps,
                                   float bias, int relu6) {
    ptrdiff_t i = 0;
    DEPTHWISE_BLOCK(BLOCK)
    DEPTHWISE_BLOCK(16)
    DEPTHWISE_BLOCK(8)
    for (; i < count; i++) {
        float a = bias;
        for (int t = 0; t < taps; t++) a += weight[t] * src[i + offsets[t]];
        dst[i] = relu6 ? (a < 0.0f ? 0.0f : (a > 6.0f ? 6.0f : a)) : a;
    }
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

/// AVX-512: up to 128 outputs per step in NV accumulators (NV = 8 while the
/// run lasts, then just enough for the rest, the last one masked). Many
/// independent FMA chains hide the FMA latency even when a run is short (a
/// 7×7 plane is one step), where the portable loop's tails are serial.
#define DEPTHWISE_STEP_AVX512(NV)                                                                   \
    __attribute__((target("avx512f,fma")))                                                        \
    static void depthwise_step_avx512_##NV(float *restrict dst, const float *restrict src,        \
                                           ptrdiff_t left, const float *restrict weight,          \
                                           const ptrdiff_t *restrict offsets, int taps, float bias, \
                                           int relu6) {                                           \
        __mmask16 mask[NV];                                                                       \
        __m512 acc[NV];                                                                           \
        for (int v = 0; v < (NV); v++) {                                                          \
            const ptrdiff_t n = left - 16 * v;                                                    \
            mask[v] = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1u);                  \
            acc[v] = _mm512_set1_ps(bias);                                                        \
        }                                                                                         \
        for (int t = 0; t < taps; t++) {                                                          \
            const __m512 wv = _mm512_set1_ps(weight[t]);                                          \
            const float *s = src + offsets[t];                                                    \
            for (int v = 0; v < (NV); v++)                                                        \
                acc[v] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(mask[v], s + 16 * v), acc[v]); \
        }                                                                                         \
        for (int v = 0; v < (NV); v++) {                                                          \
            if (relu6) acc[v] = _mm512_min_ps(_mm512_max_ps(acc[v], _mm512_setzero_ps()), _mm512_set1_ps(6.0f)); \
            _mm512_mask_storeu_ps(dst + 16 * v, mask[v], acc[v]);                                 \
        }                                                                                         \
    }

DEPTHWISE_STEP_AVX512(1)
DEPTHWISE_STEP_AVX512(2)
DEPTHWISE_STEP_AVX512(3)
DEPTHWISE_STEP_AVX512(4)
DEPTHWISE_STEP_AVX512(5)
DEPTHWISE_STEP_AVX512(6)
DEPTHWISE_STEP_AVX512(7)
DEPTHWISE_STEP_AVX512(8)

__attribute__((target("avx512f,fma")))
static void depthwise_run_avx512(float *restrict dst, const float *restrict src, ptrdiff_t count,
                                 const float *restrict weight, const ptrdiff_t *restrict offsets, int taps,
                                 float bias, int relu6) {
    ptrdiff_t i = 0;
    for (; i + 128 <= count; i += 128)
        depthwise_step_avx512_8(dst + i, src + i, 128, weight, offsets, taps, bias, relu6);
    const ptrdiff_t left = count - i;
    switch ((left + 15) / 16) {
    case 0: break;
    case 1: depthwise_step_avx512_1(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    case 2: depthwise_step_avx512_2(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    case 3: depthwise_step_avx512_3(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    case 4: depthwise_step_avx512_4(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    case 5: depthwise_step_avx512_5(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    case 6: depthwise_step_avx512_6(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    case 7: depthwise_step_avx512_7(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    default: depthwise_step_avx512_8(dst + i, src + i, left, weight, offsets, taps, bias, relu6); break;
    }
}
#endif

void cconv_depthwise_run(float *dst, const float *src, ptrdiff_t count, const float *weight,
                         const ptrdiff_t *offsets, int taps, float bias, int relu6) {
#if defined(__x86_64__) && defined(__clang__)
    if (__builtin_cpu_supports("avx512f")) {
        depthwise_run_avx512(dst, src, count, weight, offsets, taps, bias, relu6);
        return;
    }
#endif
    depthwise_run_portable(dst, src, count, weight, offsets, taps, bias, relu6);
}

MULTIVERSION
void cconv_deinterleave2(float *restrict even, float *restrict odd, const float *restrict src, ptrdiff_t count) {
    ptrdiff_t pairs = count / 2;
    for (ptrdiff_t j = 0; j < pairs; j++) {
        even[j] = src[2 * j];
        odd[j] = src[2 * j + 1];
    }
    if (count % 2) even[pairs] = src[count - 1];
}

const char *cconv_instruction_set(void) {
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return "avx512f";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
#endif
    return "baseline";
}
