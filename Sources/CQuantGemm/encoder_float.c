// Attention and GELU for the sentence encoder: one portable form and one
// compiled for AVX2 and FMA function by function, chosen at run time.
// Float results may differ between the two in the last bits (fused
// multiply-adds); both stay within the encoder's float tolerance.

#include "encoder_float.h"

#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

/// AVX2 and FMA both: the fused forms need the two together.
static int pq_has_avx2_fma(void) {
#if defined(__x86_64__) || defined(__i386__)
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = pq_kernel_supported(PQ_KERNEL_AVX2) && __builtin_cpu_supports("fma") ? 1 : 0;
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
#else
    return 0;
#endif
}

int pq_attention_scratch_count(int head_size) {
    return head_size * PQ_ATTENTION_MAX_LENGTH + PQ_ATTENTION_MAX_LENGTH;
}

static inline void pq_softmax(float *row, int count) {
    float maximum = -INFINITY;
    for (int j = 0; j < count; j++) maximum = row[j] > maximum ? row[j] : maximum;
    float sum = 0;
    for (int j = 0; j < count; j++) {
        row[j] = expf(row[j] - maximum);
        sum += row[j];
    }
    float inverse = 1 / sum;
    for (int j = 0; j < count; j++) row[j] *= inverse;
}

/// Per head: keys transposed to (D, padded L) so a query row's scores build
/// up across j without horizontal sums; softmax; the weighted sum of values.
/// The portable form; the AVX2 one below takes the same steps in registers.
#define PQ_ATTENTION_BODY                                                                   \
    int d_size = channels / heads;                                                          \
    float scale = 1 / sqrtf((float)d_size);                                                 \
    int padded = (length + 7) / 8 * 8;                                                      \
    float *key_t = scratch, *row = scratch + (long)d_size * padded;                         \
    for (int h = 0; h < heads; h++) {                                                       \
        int offset = h * d_size;                                                            \
        for (int d = 0; d < d_size; d++) {                                                  \
            for (int j = 0; j < length; j++) key_t[d * padded + j] = k[(long)j * channels + offset + d]; \
            for (int j = length; j < padded; j++) key_t[d * padded + j] = 0;                \
        }                                                                                   \
        for (int i = 0; i < length; i++) {                                                  \
            const float *qi = q + (long)i * channels + offset;                              \
            for (int j = 0; j < padded; j++) row[j] = 0;                                    \
            for (int d = 0; d < d_size; d++) {                                              \
                float x = qi[d];                                                            \
                const float *kt = key_t + d * padded;                                       \
                for (int j = 0; j < padded; j++) row[j] += x * kt[j];                       \
            }                                                                               \
            for (int j = 0; j < length; j++) row[j] *= scale;                               \
            pq_softmax(row, length);                                                        \
            float *out = context + (long)i * channels + offset;                             \
            for (int c = 0; c < d_size; c++) out[c] = 0;                                    \
            for (int j = 0; j < length; j++) {                                              \
                float p = row[j];                                                           \
                const float *vj = v + (long)j * channels + offset;                          \
                for (int c = 0; c < d_size; c++) out[c] += p * vj[c];                       \
            }                                                                               \
        }                                                                                   \
    }

/// Written once as a macro body so both compilations run the same loops.
#define PQ_GELU_BODY                                                                        \
    for (long i = 0; i < count; i++) {                                                      \
        float value = x[i];                                                                 \
        float t = value * 0.70710678118654752f;                                             \
        t = t < -4 ? -4 : (t > 4 ? 4 : t);                                                  \
        float t2 = t * t;                                                                   \
        float p = -2.72614225801306e-10f;                                                   \
        p = p * t2 + 2.77068142495902e-08f;                                                 \
        p = p * t2 - 2.10102402082508e-06f;                                                 \
        p = p * t2 - 5.69250639462346e-05f;                                                 \
        p = p * t2 - 7.34990630326855e-04f;                                                 \
        p = p * t2 - 2.95459980854025e-03f;                                                 \
        p = p * t2 - 1.60960333262415e-02f;                                                 \
        float r = -1.45660718464996e-05f;                                                   \
        r = r * t2 - 2.13374055278905e-04f;                                                 \
        r = r * t2 - 1.68282697438203e-03f;                                                 \
        r = r * t2 - 7.37332916720468e-03f;                                                 \
        r = r * t2 - 1.42647390514189e-02f;                                                 \
        x[i] = 0.5f * value * (1 + t * p / r);                                              \
    }

static void pq_attention_portable(float *context, const float *q, const float *k, const float *v, int length,
                                  int channels, int heads, float *scratch) {
    PQ_ATTENTION_BODY
}

static void pq_gelu_portable(float *x, long count) { PQ_GELU_BODY }

#if defined(__x86_64__) || defined(__i386__)
#define PQ_AVX2_FMA __attribute__((target("avx2,fma")))

/// row (8B) ← scale · q_i · key_tᵀ, key_t (D, 8B); inlined with constant B
/// so the accumulators stay in registers.
PQ_AVX2_FMA __attribute__((always_inline)) static inline void
pq_scores_avx2(int B, float *row, const float *qi, const float *key_t, int d_size, __m256 scale) {
    // Even and odd d in separate sums: two chains of fused adds, not one.
    __m256 acc[2][PQ_ATTENTION_MAX_LENGTH / 8];
    for (int b = 0; b < B; b++) acc[0][b] = acc[1][b] = _mm256_setzero_ps();
    for (int d = 0; d < d_size; d++) {
        __m256 x = _mm256_set1_ps(qi[d]);
        const float *kt = key_t + d * 8 * B;
        for (int b = 0; b < B; b++) acc[d & 1][b] = _mm256_fmadd_ps(x, _mm256_loadu_ps(kt + 8 * b), acc[d & 1][b]);
    }
    for (int b = 0; b < B; b++) _mm256_storeu_ps(row + 8 * b, _mm256_mul_ps(_mm256_add_ps(acc[0][b], acc[1][b]), scale));
}

/// The same steps as the portable loops, with a row's (at most 32) scores
/// and each 8 columns of a context row held in registers.
PQ_AVX2_FMA static void pq_attention_avx2(float *context, const float *q, const float *k, const float *v,
                                          int length, int channels, int heads, float *scratch) {
    int d_size = channels / heads;
    __m256 scale = _mm256_set1_ps(1 / sqrtf((float)d_size));
    int padded = (length + 7) / 8 * 8, blocks = padded / 8;
    float *key_t = scratch, *row = scratch + (long)d_size * padded;
    for (int h = 0; h < heads; h++) {
        int offset = h * d_size;
        for (int d = 0; d < d_size; d++) {
            for (int j = 0; j < length; j++) key_t[d * padded + j] = k[(long)j * channels + offset + d];
            for (int j = length; j < padded; j++) key_t[d * padded + j] = 0;
        }
        for (int i = 0; i < length; i++) {
            const float *qi = q + (long)i * channels + offset;
            switch (blocks) {
                case 1: pq_scores_avx2(1, row, qi, key_t, d_size, scale); break;
                case 2: pq_scores_avx2(2, row, qi, key_t, d_size, scale); break;
                case 3: pq_scores_avx2(3, row, qi, key_t, d_size, scale); break;
                default: pq_scores_avx2(4, row, qi, key_t, d_size, scale); break;
            }
            pq_softmax(row, length);
            float *out = context + (long)i * channels + offset;
            int c = 0;
            // Four column groups at once: four independent chains of fused adds.
            for (; c + 32 <= d_size; c += 32) {
                __m256 o0 = _mm256_setzero_ps(), o1 = o0, o2 = o0, o3 = o0;
                for (int j = 0; j < length; j++) {
                    __m256 p = _mm256_set1_ps(row[j]);
                    const float *vj = v + (long)j * channels + offset + c;
                    o0 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj), o0);
                    o1 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 8), o1);
                    o2 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 16), o2);
                    o3 = _mm256_fmadd_ps(p, _mm256_loadu_ps(vj + 24), o3);
                }
                _mm256_storeu_ps(out + c, o0);
                _mm256_storeu_ps(out + c + 8, o1);
                _mm256_storeu_ps(out + c + 16, o2);
                _mm256_storeu_ps(out + c + 24, o3);
            }
            for (; c + 8 <= d_size; c += 8) {
                __m256 o = _mm256_setzero_ps();
                for (int j = 0; j < length; j++) {
                    o = _mm256_fmadd_ps(_mm256_set1_ps(row[j]), _mm256_loadu_ps(v + (long)j * channels + offset + c), o);
                }
                _mm256_storeu_ps(out + c, o);
            }
            for (; c < d_size; c++) {
                float o = 0;
                for (int j = 0; j < length; j++) o += row[j] * v[(long)j * channels + offset + c];
                out[c] = o;
            }
        }
    }
}

PQ_AVX2_FMA static void pq_gelu_avx2(float *x, long count) { PQ_GELU_BODY }
#endif

void pq_attention(float *context, const float *q, const float *k, const float *v, int length,
                  int channels, int heads, float *scratch, pq_kernel kernel) {
#if defined(__x86_64__) || defined(__i386__)
    if (kernel == PQ_KERNEL_AUTO && pq_has_avx2_fma()) {
        pq_attention_avx2(context, q, k, v, length, channels, heads, scratch);
        return;
    }
#endif
    pq_attention_portable(context, q, k, v, length, channels, heads, scratch);
}

void pq_gelu(float *x, long count, pq_kernel kernel) {
#if defined(__x86_64__) || defined(__i386__)
    if (kernel == PQ_KERNEL_AUTO && pq_has_avx2_fma()) {
        pq_gelu_avx2(x, count);
        return;
    }
#endif
    pq_gelu_portable(x, count);
}
