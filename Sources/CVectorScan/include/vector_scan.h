#ifndef PHOTOQ_VECTOR_SCAN_H
#define PHOTOQ_VECTOR_SCAN_H

#include <stddef.h>
#include <stdint.h>

/// The 4-bit dot-product kernels behind the index's vector scan.
///
/// Each row is `bytes` bytes; byte j holds two unsigned 4-bit values, value
/// 2j in its low nibble and value 2j + 1 in its high nibble. `even` and `odd`
/// (each `bytes` long) are the query's values 2j and 2j + 1, in [-127, 127].
///   out[r] = sum over j < bytes of low(row[j]) * even[j] + high(row[j]) * odd[j]
/// No partial sum can saturate (15 * 127 * 4 fits an int16).

/// Which kernel `pq_scan_u4` runs on this CPU: "avx2" or "portable".
const char *pq_scan_kernel_name(void);

/// Runs the best kernel this CPU supports (chosen once, at the first call).
void pq_scan_u4(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out);

/// Plain C, for every CPU; the reference the others are checked against.
void pq_scan_u4_portable(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out);

/// AVX2; returns 0 without touching `out` when the CPU lacks AVX2.
int pq_scan_u4_avx2(const uint8_t *rows, size_t n, size_t bytes, const int8_t *even, const int8_t *odd, int32_t *out);

/// Quantises `vector` (d values) to int8 codes c = round(x / scale) in
/// [-127, 127], scale = max|x| / 127 (0 for the zero vector), and writes them
/// as two 4-bit planes of (d + 1) / 2 bytes: `high` holds (c >> 4) + 8, `low`
/// holds c & 15, value 2j in byte j's low nibble, 2j + 1 in its high nibble
/// (an odd d is padded with a zero code). Returns the scale.
float pq_quantize_planes(const float *vector, size_t d, uint8_t *high, uint8_t *low);

#endif
