"""Independent NumPy (float64) reference of the joint space's grid image side:
phi = normalise(bridge(logits) + GPO_theta(grid W^T) + c), where GPO sorts each
dimension's cell values in decreasing order and weights sort position k by
softmax(theta)_k; and the per-cell embeddings
normalise(bridge(cell_logits) + grid W^T + c).

usage: joint_grid_ref.py INPUTS.safetensors
INPUTS holds class_text C (K,D), logits (N,K), grid (N,S,F), cell_logits
(N*S,K), W (D,F), c (D), theta (S); metadata top_t.
Prints JSON {"phi", "cells"}."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from joint_ref import bridge, normalise  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "convert"))
import pqformat  # noqa: E402


def gpo(cells, theta):
    """cells (N,S,D) -> (N,D): softmax(theta) . sort_desc over S."""
    w = np.exp(theta - theta.max())
    w /= w.sum()
    ordered = -np.sort(-cells, axis=1)
    return np.einsum("s,nsd->nd", w, ordered)


def main():
    meta, t = pqformat.read(sys.argv[1])
    f = {k: v.astype(np.float64) for k, v in t.items()}
    T = int(meta["top_t"])
    C, W, c = f["class_text"], f["W"], f["c"]
    projected = f["grid"] @ W.T  # (N,S,D)
    phi = normalise(bridge(f["logits"], C, T) + gpo(projected, f["theta"]) + c)
    n, s, width = f["grid"].shape
    cells = normalise(bridge(f["cell_logits"], C, T) + f["grid"].reshape(n * s, width) @ W.T + c)
    print(json.dumps({"phi": phi.ravel().tolist(), "cells": cells.ravel().tolist()}))


if __name__ == "__main__":
    main()
