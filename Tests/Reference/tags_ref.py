"""Independent NumPy forward pass of the LSTM tag ranker (Yan, Wang & Liao),
in float64, one photo at a time.

usage: tags_ref.py PARAMS.safetensors FEATURES.safetensors STEPS
PARAMS is a tagger file (TaggerFile); FEATURES holds features (B,F), or the
head maps (B,K,F) for a ranker with K > 1 cells (metadata "cells"); with
metadata attention "grid" each step attends over the cells (Show, Attend and
Tell: e_k = w . tanh(z_k + D h), alpha = softmax(e), ctx = sum alpha_k z_k).
Prints JSON {"probabilities": [[[V+1] per step] per photo]} (softmax outputs)."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "convert"))
import pqformat  # noqa: E402


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def rank_one(p, grid, steps, every_step, direct_source):
    W, U, b = p["lstm.input_weight"], p["lstm.hidden_weight"], p["lstm.bias"]
    hidden = U.shape[1]
    grid = np.atleast_2d(grid)  # (K,F); K = 1 for the pooled feature
    z = np.stack([p["projection.weight"] @ g + p["projection.bias"] for g in grid])  # (K,E)
    x = z.mean(axis=0)
    feature = grid.mean(axis=0)
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    out = []
    for t in range(steps):
        image = every_step or t == 0
        a = U @ h + b + (W @ x if image else 0.0)
        if "attention.score_weight" in p and image:
            e = np.array([p["attention.score_weight"] @ np.tanh(zk + p["attention.hidden_weight"] @ h) for zk in z])
            alpha = np.exp(e - e.max())
            alpha /= alpha.sum()
            a = a + p["attention.context_weight"] @ (alpha[:, None] * z).sum(axis=0)
        i = sigmoid(a[0:hidden])
        f = sigmoid(a[hidden:2 * hidden])
        g = np.tanh(a[2 * hidden:3 * hidden])
        o = sigmoid(a[3 * hidden:4 * hidden])
        c = f * c + i * g
        h = o * np.tanh(c)
        logits = p["output.weight"] @ h + p["output.bias"]
        if "output.image_weight" in p:  # the image straight to the softmax as well
            logits = logits + p["output.image_weight"] @ (x if direct_source == "projection" else feature)
        e = np.exp(logits - logits.max())
        out.append((e / e.sum()).tolist())
    return out


def main():
    meta, params = pqformat.read(sys.argv[1])
    _, batch = pqformat.read(sys.argv[2])
    steps = int(sys.argv[3])
    p = {k: v.astype(np.float64) for k, v in params.items() if not k.startswith("baseline.")}
    every = meta["image_input"] == "every"
    features = batch["features"].astype(np.float64)
    direct_source = meta.get("direct_source", "feature")
    print(json.dumps({"probabilities": [rank_one(p, f, steps, every, direct_source) for f in features]}))


if __name__ == "__main__":
    main()
