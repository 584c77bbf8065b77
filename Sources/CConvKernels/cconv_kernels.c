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
void cconv_depthwise_run(float *restrict dst, const float *restrict src, ptrdiff_t count,
                         const float *restrict weight, const ptrdiff_t *restrict offsets, int taps, float bias,
                         int relu6) {
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
