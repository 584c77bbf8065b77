"""Independent NumPy reference for photoq's integer dense layers.

Quantises w (M,K) per output row to int8 and x (N,K) per token row to int16
(the limit that keeps int32 sums exact for K), rounding half to even in
float32 as photoq does, multiplies in int64 and
rescales in float32 in the documented order; also computes the float64
product the quantised layer approximates.

usage: quant_ref.py CASE.json
CASE.json: {"tokens": N, "inputs": K, "outputs": M, "x": [N*K], "w": [M*K],
            "bias": [M], "residual": [N*M] or null}
prints JSON {"quantized": [N*M float32 as numbers], "exact": [N*M float64],
             "activation_limit": int}
"""
import json
import sys

import numpy as np

WEIGHT_LIMIT = 127
INT32_MAX = 2**31 - 1


def activation_limit(inputs):
    padded = inputs + inputs % 2
    return min(32767, INT32_MAX // (padded * WEIGHT_LIMIT))


def quantize_rows(m, limit):
    """Per row: scale = max|row| / limit and q = rint(v · (limit / max)), both
    in float32; rows whose float32 limit / max overflows in float64."""
    maximum = np.abs(m).max(axis=1).astype(np.float32)
    scales = (maximum / np.float32(limit)).astype(np.float32)
    q = np.zeros(m.shape, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore"):
        for r in range(m.shape[0]):
            if maximum[r] == 0:
                continue
            inverse = np.float32(limit) / maximum[r]
            if np.isfinite(inverse):
                q[r] = np.rint((m[r] * inverse).astype(np.float32))
            else:
                q[r] = np.rint(m[r].astype(np.float64) * (np.float64(limit) / np.float64(maximum[r])))
    return np.clip(q, -limit, limit).astype(np.int64), scales


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    n, k, m = case["tokens"], case["inputs"], case["outputs"]
    x = np.array(case["x"], dtype=np.float32).reshape(n, k)
    w = np.array(case["w"], dtype=np.float32).reshape(m, k)
    bias = np.array(case["bias"], dtype=np.float32)
    residual = case.get("residual")

    limit = activation_limit(k)
    qw, w_scales = quantize_rows(w, WEIGHT_LIMIT)
    qx, x_scales = quantize_rows(x, limit)
    sums = qx @ qw.T
    assert np.abs(sums).max(initial=0) <= INT32_MAX
    with np.errstate(over="ignore"):
        out = sums.astype(np.float32) * (x_scales[:, None] * w_scales[None, :])
        out = out + bias[None, :]
        exact = x.astype(np.float64) @ w.astype(np.float64).T + bias.astype(np.float64)[None, :]
        if residual is not None:
            r = np.array(residual, dtype=np.float32).reshape(n, m)
            out = r + out
            exact = exact + r.astype(np.float64)
    json.dump({"quantized": [float(v) for v in out.astype(np.float32).ravel()],
               "exact": [float(v) for v in exact.ravel()],
               "activation_limit": limit}, sys.stdout)


if __name__ == "__main__":
    main()
