"""Independent NumPy forward pass of the ReLU-LSTM image–query scorer
(Feng & Kim), in float64, one sequence at a time.

usage: lstm_ref.py PARAMS.safetensors BATCH.safetensors
PARAMS holds the scorer tensors (see ScorerParameters.names); BATCH holds
features (B,F), words (T-1,B,E), oov (T-1,B) int32, last_step (B) int32.
Prints JSON {"logits": [B], "final_hidden": [[H]...], "cells": [[[H]...]]}
with cells per sequence for steps 0..last_step."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "convert"))
import pqformat  # noqa: E402


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def relu(x):
    return np.maximum(x, 0.0)


def score_one(p, feature, words):
    """feature (F,), words [(E,)...] -> (logit, h_n, [c_t])"""
    W, U, b = p["lstm.input_weight"], p["lstm.hidden_weight"], p["lstm.bias"]
    hidden = U.shape[1]
    x_seq = [p["projection.weight"] @ feature + p["projection.bias"]] + words
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    cells = []
    for x in x_seq:
        a = W @ x + U @ h + b
        i = sigmoid(a[0:hidden])
        f = sigmoid(a[hidden:2 * hidden])
        g = relu(a[2 * hidden:3 * hidden])
        o = sigmoid(a[3 * hidden:4 * hidden])
        c = f * c + i * g
        h = o * relu(c)
        cells.append(c)
    logit = float(p["output.weight"] @ h + p["output.bias"][0])
    return logit, h, cells


def main():
    _, params = pqformat.read(sys.argv[1])
    _, batch = pqformat.read(sys.argv[2])
    p = {k: v.astype(np.float64) for k, v in params.items()}
    features = batch["features"].astype(np.float64)
    words = batch["words"].astype(np.float64)
    oov = batch["oov"]
    last = batch["last_step"]
    out = {"logits": [], "final_hidden": [], "cells": []}
    for s in range(features.shape[0]):
        seq = [p["oov"] if oov[t, s] else words[t, s] for t in range(last[s])]
        logit, h, cells = score_one(p, features[s], seq)
        out["logits"].append(logit)
        out["final_hidden"].append(h.tolist())
        out["cells"].append([c.tolist() for c in cells])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
