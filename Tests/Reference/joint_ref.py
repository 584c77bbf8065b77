"""Independent NumPy (float64) reference of the joint visual-text space:
zero-shot bridge, phi and theta projections, the three ranking losses,
text-to-image recall / median rank and NDCG@k.

usage: joint_ref.py INPUTS.safetensors
INPUTS holds class_text C (K,D), logits (N,K), features (N,F), W (D,F),
c (D), sentences (N,D), A (D,D), d (D), negative_index (N) int32 and
photo_of_query (N) int32, relevance (N,N); metadata top_t, margin, ndcg_k.
Rows of the batch are used as q (row i), d+ (row (i+1) % N) and d- (the pool
row negative_index[i]).
Prints JSON {"bridge", "phi", "theta", "loss_v", "loss_t1", "loss_t2",
"ranks", "recall_at_1", "recall_at_5", "median_rank", "ndcg"}."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "convert"))
import pqformat  # noqa: E402


def normalise(x):
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.where(n > 0, x / np.where(n > 0, n, 1), 0)


def bridge(logits, C, T):
    out = []
    for row in logits:
        p = np.exp(row - row.max())
        p /= p.sum()
        top = np.argsort(-row, kind="stable")[:T]
        out.append(sum(p[c] * C[c] for c in top))
    return normalise(np.array(out))


def hinge(anchor, positive, negative, margin):
    """mean over rows of 1/2 max(0, m - a.p + a.n)"""
    v = margin - np.sum(anchor * positive, 1) + np.sum(anchor * negative, 1)
    return float(np.mean(0.5 * np.maximum(v, 0)))


def ranks(queries, photos, owner):
    s = queries @ photos.T
    out = []
    for i, o in enumerate(owner):
        others = np.delete(s[i], o)
        out.append(int(np.sum(others >= s[i, o])) + 1)
    return out


def ndcg(pred, rel, k):
    n = pred.shape[0]
    total = 0.0
    for i in range(n):
        others = [j for j in range(n) if j != i]
        order = sorted(others, key=lambda j: -pred[i, j])[:k]
        ideal = sorted((rel[i, j] for j in others), reverse=True)[:k]
        disc = [1 / np.log2(r + 2) for r in range(k)]
        dcg = sum(rel[i, j] * disc[r] for r, j in enumerate(order))
        idcg = sum(g * disc[r] for r, g in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0
    return total / n


def main():
    meta, t = pqformat.read(sys.argv[1])
    f64 = {k: v.astype(np.float64) for k, v in t.items()}
    T, m, k = int(meta["top_t"]), float(meta["margin"]), int(meta["ndcg_k"])
    b = bridge(f64["logits"], f64["class_text"], T)
    phi = normalise(b + f64["features"] @ f64["W"].T + f64["c"])
    s = f64["sentences"]
    theta = normalise(s + s @ f64["A"].T + f64["d"])
    n = phi.shape[0]
    pos = [(i + 1) % n for i in range(n)]
    neg = t["negative_index"].astype(int)
    r = ranks(theta, phi, t["photo_of_query"].astype(int))
    print(json.dumps({
        "bridge": b.ravel().tolist(), "phi": phi.ravel().tolist(), "theta": theta.ravel().tolist(),
        "loss_v": hinge(phi, phi[pos], phi[neg], m),
        "loss_t1": hinge(phi, theta[pos], theta[neg], m),
        "loss_t2": hinge(theta, phi[pos], phi[neg], m),
        "ranks": r,
        "recall_at_1": float(np.mean(np.array(r) <= 1)),
        "recall_at_5": float(np.mean(np.array(r) <= 5)),
        "median_rank": float(np.median(r)),
        "ndcg": ndcg(phi @ phi.T, f64["relevance"], k),
    }))


if __name__ == "__main__":
    main()
