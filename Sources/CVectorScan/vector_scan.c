#include "vector_scan.h"

#include <math.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PQ_X86 1
#endif

static inline int32_t dot_portable(const uint8_t *row, size_t from, size_t bytes, const int8_t *even, const int8_t *odd) {
    int32_t sum = 0;
    for (size_t j = from; j < bytes; j++) sum += (int32_t)(row[j] & 15) * even[j] + (int32_t)(row[j] >> 4) * odd[j];
    return sum;
}

void pq_scan_u4_portable(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out) {
    for (size_t r = 0; r < n; r++) out[r] = dot_portable(rows + r * bytes, 0, bytes, even, odd);
}

#ifdef PQ_X86
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

// maddubs multiplies the unsigned nibbles by the signed query bytes and adds
// pairs into int16; madd with ones widens pairs of those into int32.
__attribute__((target("avx2")))
static inline __m256i dot64(__m256i acc, const uint8_t *row, __m256i even, __m256i odd) {
    const __m256i mask = _mm256_set1_epi8(15);
    __m256i v = _mm256_loadu_si256((const __m256i *)row);
    __m256i low = _mm256_and_si256(v, mask);
    __m256i high = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
    __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(low, even), _mm256_maddubs_epi16(high, odd));
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
static void scan_avx2(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out) {
    size_t body = bytes & ~(size_t)31;
    size_t r = 0;
    // Two rows at a time share each load of the query.
    for (; r + 2 <= n; r += 2) {
        const uint8_t *a = rows + r * bytes, *b = a + bytes;
        __m256i sa = _mm256_setzero_si256(), sb = sa;
        for (size_t j = 0; j < body; j += 32) {
            __m256i e = _mm256_loadu_si256((const __m256i *)(even + j));
            __m256i o = _mm256_loadu_si256((const __m256i *)(odd + j));
            sa = dot64(sa, a + j, e, o);
            sb = dot64(sb, b + j, e, o);
        }
        out[r] = hsum(sa) + dot_portable(a, body, bytes, even, odd);
        out[r + 1] = hsum(sb) + dot_portable(b, body, bytes, even, odd);
    }
    for (; r < n; r++) {
        const uint8_t *a = rows + r * bytes;
        __m256i sa = _mm256_setzero_si256();
        for (size_t j = 0; j < body; j += 32) {
            sa = dot64(sa, a + j, _mm256_loadu_si256((const __m256i *)(even + j)), _mm256_loadu_si256((const __m256i *)(odd + j)));
        }
        out[r] = hsum(sa) + dot_portable(a, body, bytes, even, odd);
    }
}
#endif

int pq_scan_u4_avx2(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out) {
#ifdef PQ_X86
    if (!cpu_has_avx2()) return 0;
    scan_avx2(rows, n, bytes, even, odd, out);
    return 1;
#else
    (void)rows; (void)n; (void)bytes; (void)even; (void)odd; (void)out;
    return 0;
#endif
}

typedef void (*scan_fn)(const uint8_t *, size_t, size_t, const int8_t *, const int8_t *, int32_t *);

static scan_fn chosen(void) {
#ifdef PQ_X86
    if (cpu_has_avx2()) return scan_avx2;
#endif
    return pq_scan_u4_portable;
}

// The first call decides; racing first calls decide the same thing.
static scan_fn kernel;

void pq_scan_u4(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out) {
    scan_fn fn = __atomic_load_n(&kernel, __ATOMIC_RELAXED);
    if (!fn) {
        fn = chosen();
        __atomic_store_n(&kernel, fn, __ATOMIC_RELAXED);
    }
    fn(rows, n, bytes, even, odd, out);
}

const char *pq_scan_kernel_name(void) {
    return chosen() == pq_scan_u4_portable ? "portable" : "avx2";
}

float pq_quantize_planes(const float *vector, size_t d, uint8_t *high, uint8_t *low) {
    float largest = 0;
    for (size_t i = 0; i < d; i++) {
        float a = fabsf(vector[i]);
        largest = a > largest ? a : largest;
    }
    float inverse = largest > 0 ? 127.0f / largest : 0;
    // Plain loops the compiler vectorises: codes first, then the nibbles.
    int8_t codes[2 * 512];
    size_t padded = (d + 1) & ~(size_t)1;
    for (size_t start = 0; start < padded; start += 1024) {
        size_t count = padded - start < 1024 ? padded - start : 1024;
        for (size_t i = 0; i < count; i++) {
            float x = start + i < d ? vector[start + i] * inverse : 0;
            // Round half away from zero (as Swift's rounded()); |x| <= 127, never -128.
            float r = truncf(x + copysignf(0.5f, x));
            r = r > 127 ? 127 : r < -127 ? -127 : r;
            codes[i] = (int8_t)r;
        }
        for (size_t j = 0; j < count / 2; j++) {
            int a = codes[2 * j], b = codes[2 * j + 1];
            high[start / 2 + j] = (uint8_t)(((a >> 4) + 8) | (((b >> 4) + 8) << 4));
            low[start / 2 + j] = (uint8_t)((a & 15) | ((b & 15) << 4));
        }
    }
    return largest / 127.0f;
}
