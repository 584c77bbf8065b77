#include "vector_scan.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PQ_X86 1
#endif

void pq_scan_i8_portable(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out) {
    for (size_t r = 0; r < n; r++) {
        const int8_t *row = rows + r * d;
        int32_t sum = 0;
        for (size_t i = 0; i < d; i++) sum += (int32_t)row[i] * (int32_t)query[i];
        out[r] = sum;
    }
}

#ifdef PQ_X86
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

// |q| times (row with q's sign) is q * row; maddubs multiplies unsigned by
// signed bytes and adds pairs into int16 (at most 2 * 127 * 127, no
// saturation), madd with ones widens pairs into int32.
__attribute__((target("avx2")))
static inline __m256i dot32(__m256i acc, __m256i absq, __m256i signq, const int8_t *row) {
    __m256i r = _mm256_loadu_si256((const __m256i *)row);
    __m256i pairs = _mm256_maddubs_epi16(absq, _mm256_sign_epi8(r, signq));
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

__attribute__((target("avx2")))
static inline int32_t hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx2")))
static void scan_avx2(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out) {
    size_t body = d & ~(size_t)31;
    size_t r = 0;
    // Four rows at a time share each load of the query.
    for (; r + 4 <= n; r += 4) {
        const int8_t *row = rows + r * d;
        __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t i = 0; i < body; i += 32) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(query + i));
            __m256i absq = _mm256_abs_epi8(q);
            a0 = dot32(a0, absq, q, row + i);
            a1 = dot32(a1, absq, q, row + d + i);
            a2 = dot32(a2, absq, q, row + 2 * d + i);
            a3 = dot32(a3, absq, q, row + 3 * d + i);
        }
        int32_t s[4] = { hsum(a0), hsum(a1), hsum(a2), hsum(a3) };
        for (size_t i = body; i < d; i++) {
            for (int k = 0; k < 4; k++) s[k] += (int32_t)row[k * d + i] * (int32_t)query[i];
        }
        for (int k = 0; k < 4; k++) out[r + k] = s[k];
    }
    for (; r < n; r++) {
        const int8_t *row = rows + r * d;
        __m256i a = _mm256_setzero_si256();
        for (size_t i = 0; i < body; i += 32) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(query + i));
            a = dot32(a, _mm256_abs_epi8(q), q, row + i);
        }
        int32_t s = hsum(a);
        for (size_t i = body; i < d; i++) s += (int32_t)row[i] * (int32_t)query[i];
        out[r] = s;
    }
}
#endif

int pq_scan_i8_avx2(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out) {
#ifdef PQ_X86
    if (!cpu_has_avx2()) return 0;
    scan_avx2(rows, n, d, query, out);
    return 1;
#else
    (void)rows; (void)n; (void)d; (void)query; (void)out;
    return 0;
#endif
}

typedef void (*scan_fn)(const int8_t *, size_t, size_t, const int8_t *, int32_t *);

static scan_fn chosen(void) {
#ifdef PQ_X86
    if (cpu_has_avx2()) return scan_avx2;
#endif
    return pq_scan_i8_portable;
}

// The first call decides; racing first calls decide the same thing.
static scan_fn kernel;

void pq_scan_i8(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out) {
    scan_fn fn = __atomic_load_n(&kernel, __ATOMIC_RELAXED);
    if (!fn) {
        fn = chosen();
        __atomic_store_n(&kernel, fn, __ATOMIC_RELAXED);
    }
    fn(rows, n, d, query, out);
}

const char *pq_scan_kernel_name(void) {
    return chosen() == pq_scan_i8_portable ? "portable" : "avx2";
}
