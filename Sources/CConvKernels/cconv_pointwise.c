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

/// Columns [n0, N) that do not fill a 64-wide block (under 64 of them): as
/// PIECES 16-wide vectors, the last masked, for four rows at a time, so each
/// weight is read once and 7×7 and 14×14 layers stay in vector registers.
#define POINTWISE_TAIL_PIECES(PIECES)                                                              \
    __attribute__((target("avx512f,fma")))                                                        \
    static void pointwise_tail_avx512_##PIECES(float *restrict out, const float *restrict w,       \
                                               const float *restrict x, ptrdiff_t M, ptrdiff_t N,  \
                                               ptrdiff_t K, ptrdiff_t n0, const float *restrict bias, \
                                               const float *restrict residual, int relu6) {        \
        const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);                      \
        __mmask16 mask[PIECES];                                                                    \
        for (int p = 0; p < (PIECES); p++) {                                                       \
            const ptrdiff_t left = N - n0 - 16 * p;                                                \
            mask[p] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1u);             \
        }                                                                                          \
        ptrdiff_t m = 0;                                                                           \
        for (; m + 4 <= M; m += 4) {                                                               \
            __m512 acc[4][PIECES];                                                                 \
            for (int r = 0; r < 4; r++)                                                            \
                for (int p = 0; p < (PIECES); p++) acc[r][p] = _mm512_set1_ps(bias[m + r]);        \
            const float *w0 = w + m * K;                                                           \
            for (ptrdiff_t k = 0; k < K; k++) {                                                    \
                __m512 xv[PIECES];                                                                 \
                for (int p = 0; p < (PIECES); p++)                                                 \
                    xv[p] = _mm512_maskz_loadu_ps(mask[p], x + k * N + n0 + 16 * p);              \
                for (int r = 0; r < 4; r++) {                                                      \
                    const __m512 wv = _mm512_set1_ps(w0[r * K + k]);                               \
                    for (int p = 0; p < (PIECES); p++) acc[r][p] = _mm512_fmadd_ps(wv, xv[p], acc[r][p]); \
                }                                                                                  \
            }                                                                                      \
            for (int r = 0; r < 4; r++)                                                            \
                for (int p = 0; p < (PIECES); p++) {                                               \
                    float *o = out + (m + r) * N + n0 + 16 * p;                                    \
                    if (residual)                                                                  \
                        acc[r][p] = _mm512_add_ps(acc[r][p],                                       \
                            _mm512_maskz_loadu_ps(mask[p], residual + (m + r) * N + n0 + 16 * p)); \
                    if (relu6) acc[r][p] = _mm512_min_ps(_mm512_max_ps(acc[r][p], zero), six);    \
                    _mm512_mask_storeu_ps(o, mask[p], acc[r][p]);                                  \
                }                                                                                  \
        }                                                                                          \
        if (m < M) pointwise_edge(out, w, x, m, M, n0, N, N, K, bias, residual, relu6);           \
    }

POINTWISE_TAIL_PIECES(1)
POINTWISE_TAIL_PIECES(2)
POINTWISE_TAIL_PIECES(3)
POINTWISE_TAIL_PIECES(4)

__attribute__((target("avx512f,fma")))
static void pointwise_tail_avx512(float *restrict out, const float *restrict w, const float *restrict x,
                                  ptrdiff_t M, ptrdiff_t N, ptrdiff_t K, ptrdiff_t n0,
                                  const float *restrict bias, const float *restrict residual, int relu6) {
    switch ((N - n0 + 15) / 16) {
    case 1: pointwise_tail_avx512_1(out, w, x, M, N, K, n0, bias, residual, relu6); break;
    case 2: pointwise_tail_avx512_2(out, w, x, M, N, K, n0, bias, residual, relu6); break;
    case 3: pointwise_tail_avx512_3(out, w, x, M, N, K, n0, bias, residual, relu6); break;
    default: pointwise_tail_avx512_4(out, w, x, M, N, K, n0, bias, residual, relu6); break;
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
