"""Independent NumPy forward pass of the LSTM tag ranker (Yan, Wang & Liao),
in float64, one photo at a time.

usage: tags_ref.py PARAMS.safetensors FEATURES.safetensors STEPS
PARAMS is a tagger file (TaggerFile); FEATURES holds features (B,F).
Prints JSON {"probabilities": [[[V+1] per step] per photo]} (softmax outputs)."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "convert"))
import pqformat  # noqa: E402


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def rank_one(p, feature, steps, every_step):
    W, U, b = p["lstm.input_weight"], p["lstm.hidden_weight"], p["lstm.bias"]
    hidden = U.shape[1]
    x = p["projection.weight"] @ feature + p["projection.bias"]
    h = np.zeros(hidden)
    c = np.zeros(hidden)
    out = []
    for t in range(steps):
        a = U @ h + b + (W @ x if (every_step or t == 0) else 0.0)
        i = sigmoid(a[0:hidden])
        f = sigmoid(a[hidden:2 * hidden])
        g = np.tanh(a[2 * hidden:3 * hidden])
        o = sigmoid(a[3 * hidden:4 * hidden])
        c = f * c + i * g
        h = o * np.tanh(c)
        z = p["output.weight"] @ h + p["output.bias"]
        if "output.image_weight" in p:  # the image straight to the softmax as well
            z = z + p["output.image_weight"] @ feature
        e = np.exp(z - z.max())
        out.append((e / e.sum()).tolist())
    return out


def main():
    meta, params = pqformat.read(sys.argv[1])
    _, batch = pqformat.read(sys.argv[2])
    steps = int(sys.argv[3])
    p = {k: v.astype(np.float64) for k, v in params.items() if not k.startswith("baseline.")}
    every = meta["image_input"] == "every"
    features = batch["features"].astype(np.float64)
    print(json.dumps({"probabilities": [rank_one(p, f, steps, every) for f in features]}))


if __name__ == "__main__":
    main()
