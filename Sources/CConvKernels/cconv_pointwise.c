// 1×1 convolution as a register-blocked matrix product written for these
// shapes (K from 16 to 1152, N = H·W from 49 to 12544), with the layer's
// bias, residual and ReLU6 applied as the results leave the registers.
//
// out (M,N) = act(w (M,K) · x (K,N) + bias (M) [+ residual (M,N)])
//
// A ROWS×COLS block of out lives in registers while k runs over K: each step
// loads one COLS-wide row piece of x and broadcasts ROWS weights. x needs no
// packing: a K×COLS panel is reused by every row block while it sits in L2.
#include "cconv_kernels.h"

#define POINTWISE_KERNEL(name, attributes, ROWS, COLS, TAIL)                                    \
    attributes static void name(float *restrict out, const float *restrict w,                   \
                                const float *restrict x, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, \
                                const float *restrict bias, const float *restrict residual,     \
                                int relu6) {                                                    \
        ptrdiff_t n0 = 0;                                                                       \
        for (; n0 + (COLS) <= N; n0 += (COLS)) {                                                \
            ptrdiff_t m0 = 0;                                                                   \
            for (; m0 + (ROWS) <= M; m0 += (ROWS)) {                                            \
                float acc[ROWS][COLS];                                                          \
                for (int r = 0; r < (ROWS); r++)                                                \
                    for (int j = 0; j < (COLS); j++) acc[r][j] = bias[m0 + r];                  \
                const float *wr = w + m0 * K;                                                   \
                for (ptrdiff_t k = 0; k < K; k++) {                                             \
                    const float *xr = x + k * N + n0;                                           \
                    for (int r = 0; r < (ROWS); r++) {                                          \
                        const float wv = wr[r * K + k];                                         \
                        for (int j = 0; j < (COLS); j++) acc[r][j] += wv * xr[j];               \
                    }                                                                           \
                }                                                                               \
                /* Branches outside the loops: a masked load of a NULL residual */          \
                /* would be legal but takes a slow fault-suppression path on some CPUs. */     \
                if (residual) {                                                                 \
                    for (int r = 0; r < (ROWS); r++) {                                          \
                        const float *res = residual + (m0 + r) * N + n0;                        \
                        for (int j = 0; j < (COLS); j++) acc[r][j] += res[j];                   \
                    }                                                                           \
                }                                                                               \
                if (relu6) {                                                                    \
                    for (int r = 0; r < (ROWS); r++)                                            \
                        for (int j = 0; j < (COLS); j++)                                        \
                            acc[r][j] = acc[r][j] < 0.0f ? 0.0f : (acc[r][j] > 6.0f ? 6.0f : acc[r][j]); \
                }                                                                               \
                for (int r = 0; r < (ROWS); r++) {                                              \
                    float *o = out + (m0 + r) * N + n0;                                         \
                    for (int j = 0; j < (COLS); j++) o[j] = acc[r][j];                          \
                }                                                                               \
            }                                                                                   \
            if (m0 < M) pointwise_edge(out, w, x, m0, M, n0, n0 + (COLS), N, K, bias, residual, relu6); \
        }                                                                                       \
        if (n0 < N) TAIL(out, w, x, M, N, K, n0, bias, residual, relu6);                        \
    }

/// The rows [m0, m1) and columns [n0, n1) that do not fill a register block.
static void pointwise_edge(float *restrict out, const float *restrict w, const float *restrict x,
                           ptrdiff_t m0, ptrdiff_t m1, ptrdiff_t n0, ptrdiff_t n1, ptrdiff_t N, ptrdiff_t K,
                           const float *restrict bias, const float *restrict residual, int relu6) {
    for (ptrdiff_t m = m0; m < m1; m++) {
        float *o = out + m * N;
        for (ptrdiff_t n = n0; n < n1; n++) o[n] = bias[m];
        for (ptrdiff_t k = 0; k < K; k++) {
            const float wv = w[m * K + k];
            const float *xr = x + k * N;
            for (ptrdiff_t n = n0; n < n1; n++) o[n] += wv * xr[n];
        }
        if (residual) {
            for (ptrdiff_t n = n0; n < n1; n++) o[n] += residual[m * N + n];
        }
        if (relu6) {
            for (ptrdiff_t n = n0; n < n1; n++) o[n] = o[n] < 0.0f ? 0.0f : (o[n] > 6.0f ? 6.0f : o[n]);
        }
    }
}

/// Columns [n0, N) left over after the full blocks (portable kernels).
static void pointwise_tail(float *restrict out, const float *restrict w, const float *restrict x,
                           ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, ptrdiff_t n0,
                           const float *restrict bias, const float *restrict residual, int relu6) {
    pointwise_edge(out, w, x, 0, M, n0, N, N, K, bias, residual, relu6);
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>

/// Columns [n0, N) that do not fill a 64-wide block: 16 at a time with the
/// last piece masked, so 7×7 and 14×14 layers stay in vector registers.
__attribute__((target("avx512f,fma")))
static void pointwise_tail_avx512(float *restrict out, const float *restrict w, const float *restrict x,
                                  ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, ptrdiff_t n0,
                                  const float *restrict bias, const float *restrict residual, int relu6) {
    const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
    for (ptrdiff_t n = n0; n < N; n += 16) {
        const ptrdiff_t width = N - n < 16 ? N - n : 16;
        const __mmask16 mask = (__mmask16)((1u << width) - 1u);
        // Eight rows: eight independent FMA chains cover the FMA latency.
        ptrdiff_t m = 0;
        for (; m + 8 <= M; m += 8) {
            __m512 acc[8];
            for (int r = 0; r < 8; r++) acc[r] = _mm512_set1_ps(bias[m + r]);
            const float *w0 = w + m * K;
            for (ptrdiff_t k = 0; k < K; k++) {
                const __m512 xv = _mm512_maskz_loadu_ps(mask, x + k * N + n);
                for (int r = 0; r < 8; r++) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(w0[r * K + k]), xv, acc[r]);
            }
            for (int r = 0; r < 8; r++) {
                if (residual) acc[r] = _mm512_add_ps(acc[r], _mm512_maskz_loadu_ps(mask, residual + (m + r) * N + n));
                if (relu6) acc[r] = _mm512_min_ps(_mm512_max_ps(acc[r], zero), six);
                _mm512_mask_storeu_ps(out + (m + r) * N + n, mask, acc[r]);
            }
        }
        if (m < M) pointwise_edge(out, w, x, m, M, n, n + width, N, K, bias, residual, relu6);
    }
}

// 4×64 = 16 AVX-512 accumulators; 4×16 = 8 AVX2 accumulators (16 registers).
POINTWISE_KERNEL(pointwise_avx512, __attribute__((target("avx512f,avx512vl,fma"))), 4, 64, pointwise_tail_avx512)
POINTWISE_KERNEL(pointwise_avx2, __attribute__((target("avx2,fma"))), 4, 16, pointwise_tail)
#endif
POINTWISE_KERNEL(pointwise_baseline, , 4, 8, pointwise_tail)

void cconv_pointwise(float *out, const float *w, const float *x, ptrdiff_t M, ptrdiff_t N, ptrdiff_t K,
                     const float *bias, const float *residual, int relu6) {
#if defined(__x86_64__) && defined(__clang__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        pointwise_avx512(out, w, x, M, N, K, bias, residual, relu6);
        return;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        pointwise_avx2(out, w, x, M, N, K, bias, residual, relu6);
        return;
    }
#endif
    pointwise_baseline(out, w, x, M, N, K, bias, residual, relu6);
}
