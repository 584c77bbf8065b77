// Quantisation of weights (once, at load) and activations (per call). One
// implementation for every kernel, so the integers they multiply are the same.
#pragma STDC FP_CONTRACT OFF

#include "quant_gemm.h"
#include "quant_layout.h"

#include <math.h>
#include <string.h>

int pq_padded_inputs(int in_features) { return pq_pairs(in_features) * 2; }

long pq_packed_weight_count(int out_features, int in_features) {
    long blocks = (out_features + PQ_BLOCK_ROWS - 1) / PQ_BLOCK_ROWS;
    return blocks * pq_block_stride(in_features);
}

int pq_activation_limit(int in_features, int weight_limit) {
    long padded = pq_padded_inputs(in_features);
    long limit = INT32_MAX / (padded * (weight_limit > 0 ? weight_limit : 1));
    return (int)(limit < 32767 ? limit : 32767);
}

/// max |row[k]|, with eight running maxima so the loop is not one serial chain.
static float pq_row_maximum(const float *row, int count) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int k = 0;
    for (; k + 8 <= count; k += 8) {
        for (int j = 0; j < 8; j++) {
            float a = fabsf(row[k + j]);
            lanes[j] = a > lanes[j] ? a : lanes[j];
        }
    }
    float maximum = 0;
    for (int j = 0; j < 8; j++) maximum = lanes[j] > maximum ? lanes[j] : maximum;
    for (; k < count; k++) {
        float a = fabsf(row[k]);
        maximum = a > maximum ? a : maximum;
    }
    return maximum;
}

/// Writes rint(row[k] · limit / max) clamped to ±limit into out[k · step]
/// and returns the row's scale max / limit (0 for a zero row).
///
/// In float, rounding half to even by adding and subtracting 1.5·2²³ (exact
/// for |v| < 2²²), which vectorises where a call to nearbyint would not.
/// Rows so small that limit / max overflows take the same steps in double.
static float pq_quantize_row(const float *row, int count, int limit, int16_t *out, int step) {
    float maximum = pq_row_maximum(row, count);
    float lim = (float)limit;
    float inverse = maximum > 0 ? lim / maximum : 0;
    if (isfinite(inverse)) {
        const float magic = 12582912.0f;
        for (int k = 0; k < count; k++) {
            float v = row[k] * inverse;
            v = (v + magic) - magic;
            v = v > lim ? lim : v;
            v = v < -lim ? -lim : v;
            out[(long)k * step] = (int16_t)(int32_t)v;
        }
    } else {
        double wide = (double)limit / maximum;
        for (int k = 0; k < count; k++) {
            double v = nearbyint((double)row[k] * wide);
            v = v > limit ? limit : v;
            v = v < -limit ? -limit : v;
            out[(long)k * step] = (int16_t)v;
        }
    }
    return maximum / lim;
}

void pq_pack_weights(const float *w, int out_features, int in_features, int weight_limit,
                     int16_t *packed, float *scales, int16_t *row) {
    memset(packed, 0, sizeof(int16_t) * (size_t)pq_packed_weight_count(out_features, in_features));
    long stride = pq_block_stride(in_features);
    for (int r = 0; r < out_features; r++) {
        scales[r] = pq_quantize_row(w + (long)r * in_features, in_features, weight_limit, row, 1);
        // Column k of row r goes to pair k/2, lane r%8, half k%2 of its block.
        int16_t *block = packed + (r / PQ_BLOCK_ROWS) * stride + (r % PQ_BLOCK_ROWS) * 2;
        for (int k = 0; k < in_features; k++) block[(k / 2) * 2 * PQ_BLOCK_ROWS + (k % 2)] = row[k];
    }
}

void pq_quantize_rows(const float *x, int tokens, int in_features, int limit, int16_t *q, float *scales) {
    int padded = pq_padded_inputs(in_features);
    for (int n = 0; n < tokens; n++) {
        int16_t *out = q + (long)n * padded;
        scales[n] = pq_quantize_row(x + (long)n * in_features, in_features, limit, out, 1);
        for (int k = in_features; k < padded; k++) out[k] = 0;
    }
}
