#ifndef PHOTOQ_ENCODER_FLOAT_H
#define PHOTOQ_ENCODER_FLOAT_H

#include "quant_gemm.h"

// The sentence encoder's float steps around the integer products, in C so
// that the AVX2/FMA forms can be chosen at run time (the Swift code is built
// for baseline x86-64): self-attention of short sequences and GELU.

#ifdef __cplusplus
extern "C" {
#endif

/// Longest sequence `pq_attention` takes; the caller uses sgemm beyond it.
#define PQ_ATTENTION_MAX_LENGTH 32

/// Float elements of scratch `pq_attention` needs for head size `head_size`.
int pq_attention_scratch_count(int head_size);

/// Multi-head self-attention of one sequence of `length` (1...PQ_ATTENTION_MAX_LENGTH)
/// tokens: q, k, v and context are (L, C) with row stride C, heads side by
/// side in columns; context_h ← softmax(q_h k_hᵀ / √D) v_h for each head.
void pq_attention(float *context, const float *q, const float *k, const float *v, int length,
                  int channels, int heads, float *scratch, pq_kernel kernel);

/// x (count) ← x/2 · (1 + erf(x/√2)), erf as the rational fit on [−4, 4]
/// (within 5e-7 of the exact value).
void pq_gelu(float *x, long count, pq_kernel kernel);

#ifdef __cplusplus
}
#endif

#endif
