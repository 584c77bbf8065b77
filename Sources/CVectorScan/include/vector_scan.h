#ifndef PHOTOQ_VECTOR_SCAN_H
#define PHOTOQ_VECTOR_SCAN_H

#include <stddef.h>
#include <stdint.h>

/// The int8 dot-product kernels behind the index's vector scan.
/// out[r] = sum over i < d of rows[r * d + i] * query[i], for r < n.
/// Values must lie in [-127, 127] (the quantiser never writes -128), so no
/// partial sum saturates.

/// Which kernel `pq_scan_i8` runs on this CPU: "avx2" or "portable".
const char *pq_scan_kernel_name(void);

/// Runs the best kernel this CPU supports (chosen once, at the first call).
void pq_scan_i8(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out);

/// Plain C, for every CPU; the reference the others are checked against.
void pq_scan_i8_portable(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out);

/// AVX2; returns 0 without touching `out` when the CPU lacks AVX2.
int pq_scan_i8_avx2(const int8_t *rows, size_t n, size_t d, const int8_t *query, int32_t *out);

#endif
