"""Independent NumPy reference for Excitation Backprop, used by the Swift tests.

Builds a small network of the kinds EfficientNet-Lite0 uses, runs it forward
and back-propagates the marginal winning probability (Zhang et al. 2016) with
every layer written as an explicit dense matrix M (out, in): a convolution's
matrix is found by applying it to each unit basis vector, so this shares no
code path with the Swift kernels. The rule for a linear layer, with the
contribution c_ij = s_i a_j M_ij counted when it has the sign s_i of the unit
it feeds (s_i = +1 for y_i >= 0, else -1) and biases excluded:

    P(a_j) = sum_i P(a_i) * c+_ij / sum_k c+_ik

A residual sum y = a + b splits each unit's P between the branch values that
share y's sign.

Network (shapes per image, channel-major):
    x0 (3,9,9) signed
    conv 3x3/2 SAME 3->4 + bias, ReLU6          -> a1 (4,5,5)
    depthwise 3x3/1 + bias, ReLU6               -> a2 (4,5,5)
    pointwise 4->4 + bias, + a1 (residual)      -> y3 (4,5,5) signed
    pointwise 4->6 + bias, ReLU6                -> a4 (6,5,5)
    depthwise 5x5/2 + bias, ReLU6               -> a5 (6,3,3)
    global average pool                         -> g (6)
    dense 6->3 + bias                           -> logits (3)

Usage: eb_ref.py OUT.pq  writes weights, activations and the expected
probabilities at every layer (for class TARGET, and for the negated top
weights, the c-MWP dual) to OUT.pq.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/convert"))
import pqformat

TARGET = 0


def same_conv(x, w, s, groups):
    """x (C,H,W), w (O,C/groups,k,k) -> (O,ceil(H/s),ceil(W/s)), TF SAME (extra pad bottom/right)."""
    c, h, wd = x.shape
    o, cg, k, _ = w.shape
    oh, ow = -(-h // s), -(-wd // s)
    ph, pw = max((oh - 1) * s + k - h, 0), max((ow - 1) * s + k - wd, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)))
    out = np.zeros((o, oh, ow))
    per_group = o // groups
    for oc in range(o):
        g = oc // per_group
        for ci in range(cg):
            for i in range(k):
                for j in range(k):
                    out[oc] += w[oc, ci, i, j] * xp[g * cg + ci, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s]
    return out


def as_matrix(linear, in_shape):
    """The dense (out, in) matrix of a linear map given as a function."""
    n = int(np.prod(in_shape))
    cols = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1
        cols.append(linear(e.reshape(in_shape)).ravel())
    return np.stack(cols, axis=1)


def eb(p_out, a, m, y=None):
    """p_out (out), a (in), m (out,in), y (out) unit values or None (all >= 0) -> p_in (in)."""
    s = np.ones(m.shape[0]) if y is None else np.where(y.ravel() < 0, -1.0, 1.0)
    c = np.maximum(s[:, None] * a[None, :] * m, 0)
    z = c.sum(axis=1)
    ratio = np.where(z > 1e-20, p_out / np.where(z > 1e-20, z, 1), 0)
    return (ratio[:, None] * c).sum(axis=0)


def main():
    rng = np.random.default_rng(7)
    t = {}
    t["x0"] = rng.normal(size=(3, 9, 9))
    t["w1"], t["b1"] = rng.normal(size=(4, 3, 3, 3)) * 0.5, rng.normal(size=4) * 0.1
    t["w2"], t["b2"] = rng.normal(size=(4, 1, 3, 3)) * 0.5, rng.normal(size=4) * 0.1
    t["w3"], t["b3"] = rng.normal(size=(4, 4, 1, 1)) * 0.5, rng.normal(size=4) * 0.1
    t["w4"], t["b4"] = rng.normal(size=(6, 4, 1, 1)), rng.normal(size=6) * 0.1 + 0.5
    t["w5"], t["b5"] = rng.normal(size=(6, 1, 5, 5)) * 0.5, rng.normal(size=6) * 0.1 + 0.2
    t["w7"], t["b7"] = rng.normal(size=(3, 6)), rng.normal(size=3) * 0.1

    relu6 = lambda v: np.clip(v, 0, 6)
    layers = {  # name: (weight, stride, groups)
        "1": (t["w1"], 2, 1), "2": (t["w2"], 1, 4), "3": (t["w3"], 1, 1), "4": (t["w4"], 1, 1), "5": (t["w5"], 2, 6),
    }
    lin = {k: (lambda x, w=w, s=s, g=g: same_conv(x, w, s, g)) for k, (w, s, g) in layers.items()}
    bias = lambda v, b: v + b[:, None, None]
    t["a1"] = relu6(bias(lin["1"](t["x0"]), t["b1"]))
    t["a2"] = relu6(bias(lin["2"](t["a1"]), t["b2"]))
    t["p3"] = bias(lin["3"](t["a2"]), t["b3"])
    t["y3"] = t["a1"] + t["p3"]
    t["a4"] = relu6(bias(lin["4"](t["y3"]), t["b4"]))
    t["a5"] = relu6(bias(lin["5"](t["a4"]), t["b5"]))
    t["g"] = t["a5"].mean(axis=(1, 2))
    t["logits"] = t["w7"] @ t["g"] + t["b7"]

    def backward(top_weight, suffix):
        m7 = top_weight[TARGET:TARGET + 1]
        p = {"g": eb(np.ones(1), t["g"], m7)}
        pool = as_matrix(lambda x: x.mean(axis=(1, 2)), t["a5"].shape)
        p["a5"] = eb(p["g"], t["a5"].ravel(), pool)
        # ReLU6 passes the signal through to active units unchanged.
        p["a4"] = eb(p["a5"], t["a4"].ravel(), as_matrix(lin["5"], t["a4"].shape))
        p["y3"] = eb(p["a4"], t["y3"].ravel(), as_matrix(lin["4"], t["y3"].shape))  # a4 >= 0
        # Residual y3 = a1 + p3: split by the parts sharing y3's sign.
        s3 = np.where(t["y3"].ravel() < 0, -1.0, 1.0)
        a, b = np.maximum(s3 * t["a1"].ravel(), 0), np.maximum(s3 * t["p3"].ravel(), 0)
        tot = a + b
        share = np.where(tot > 1e-20, p["y3"] / np.where(tot > 1e-20, tot, 1), 0)
        p["a1_skip"], p["p3"] = share * a, share * b
        p["a2"] = eb(p["p3"], t["a2"].ravel(), as_matrix(lin["3"], t["a2"].shape), t["p3"])
        p["a1_branch"] = eb(p["a2"], t["a1"].ravel(), as_matrix(lin["2"], t["a1"].shape))
        p["a1"] = p["a1_skip"] + p["a1_branch"]
        p["x0"] = eb(p["a1"], t["x0"].ravel(), as_matrix(lin["1"], t["x0"].shape))
        return {f"P{suffix}_{k}": v for k, v in p.items()}

    t.update(backward(t["w7"], ""))
    t.update(backward(-t["w7"], "dual"))
    pqformat.write(sys.argv[1], {k: np.asarray(v, dtype=np.float32) for k, v in t.items()},
                   {"target": str(TARGET)})


if __name__ == "__main__":
    main()
