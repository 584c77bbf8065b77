"""EfficientNet-Lite0/1/2 through ONNX Runtime, for `photoq-model bench backbone`.

Builds the ONNX graph with onnx.helper from the same converted weights photoq
runs (efficientnet-liteN.safetensors, BatchNorm already folded; its block
table and input side from the file's metadata): Conv with
explicit asymmetric TF-SAME pads, Clip 0..6, Add, GlobalAveragePool, Gemm,
with the (x - 127) / 128 normalisation inside the graph as in photoq.
Decodes with PIL using draft() (libjpeg DCT scaling, as photoq's decoder
does) and the same squash (or centre-crop) preprocessing, then reports decode
ms/photo and network ms/photo (thread CPU time; with one intra-op thread ORT
runs on the calling thread) and end-to-end photos/s (wall clock) for 1..T
threads.

Prints a JSON document with --json, else a short table."""
import argparse
import glob
import json
import os
import sys
import threading
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../convert"))
import pqformat  # noqa: E402

SIZE = 224  # the input side; main() sets the file's


def block_table(metadata):
    """One (kernel, stride, expand, in, out) per block, from the converted file."""
    if "blocks" not in metadata:
        raise SystemExit("the backbone file has no block table; run scripts/convert-models")
    return [tuple(b) for b in json.loads(metadata["blocks"])]


def same_pads(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def build_graph(weights, blocks):
    """weights: name -> array from the converted file; blocks: its table. Returns an ONNX model."""
    nodes, inits = [], []
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def conv(x, name, size, stride, groups=1, relu6=True):
        w = weights[name + ".weight"]
        k = w.shape[2]
        out, before, after = same_pads(size, k, stride)
        y = fresh(name)
        nodes.append(helper.make_node("Conv", [x, const(name + ".weight", w), const(name + ".bias", weights[name + ".bias"])],
                                      [y], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[before, before, after, after], group=groups))
        if relu6:
            z = fresh(name + "_relu6")
            nodes.append(helper.make_node("Clip", [y, "zero", "six"], [z]))
            y = z
        return y, out

    const("zero", np.array(0, dtype=np.float32))
    const("six", np.array(6, dtype=np.float32))
    const("mean", np.array(127, dtype=np.float32))
    const("scale", np.array(1 / 128, dtype=np.float32))
    nodes.append(helper.make_node("Sub", ["input", "mean"], ["centred"]))
    nodes.append(helper.make_node("Mul", ["centred", "scale"], ["normalised"]))
    x, size = conv("normalised", "stem", SIZE, 2)
    for index, (k, s, expand, c, cout) in enumerate(blocks):
        block_in = x
        p = f"blocks.{index}"
        if expand != 1:
            x, _ = conv(x, p + ".expand", size, 1)
        x, out = conv(x, p + ".depthwise", size, s, groups=c * expand)
        x, _ = conv(x, p + ".project", out, 1, relu6=False)
        if s == 1 and c == cout:
            y = fresh(p + "_add")
            nodes.append(helper.make_node("Add", [x, block_in], [y]))
            x = y
        size = out
    x, _ = conv(x, "head", size, 1)
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["pooled4d"]))
    nodes.append(helper.make_node("Flatten", ["pooled4d"], ["features"], axis=1))
    nodes.append(helper.make_node("Gemm", ["features", const("fc.weight", weights["fc.weight"]),
                                           const("fc.bias", weights["fc.bias"])], ["logits"], transB=1))
    graph = helper.make_graph(
        nodes, "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 1280]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def decode(path, transform):
    """(3,S,S) float32 RGB 0-255, DCT-scaled decode like photoq's."""
    img = Image.open(path)
    target = SIZE if transform == "squash" else (SIZE * 256 + 112) // 224
    img.draft("RGB", (target, target))  # largest 1/1..1/8 scale still >= target
    img = img.convert("RGB")
    if transform == "squash":
        img = img.resize((SIZE, SIZE), Image.BILINEAR)
    else:
        w, h = img.size
        scale = target / min(w, h)
        img = img.resize((max(SIZE, round(w * scale)), max(SIZE, round(h * scale))), Image.BILINEAR)
        w, h = img.size
        left, top = (w - SIZE) // 2, (h - SIZE) // 2
        img = img.crop((left, top, left + SIZE, top + SIZE))
    return np.asarray(img, dtype=np.float32).transpose(2, 0, 1)[None].copy()


def session(model_bytes, threads):
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def end_to_end_workers(model_bytes, paths, transform, workers):
    """`workers` Python threads over the photos, one single-threaded session
    each (PIL and ORT release the GIL while they work)."""
    sessions = [session(model_bytes, 1) for _ in range(workers)]
    for s in sessions:
        s.run(["logits"], {"input": decode(paths[0], transform)})
    next_index = [0]
    lock = threading.Lock()

    def work(s):
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= len(paths):
                return
            s.run(["logits"], {"input": decode(paths[i], transform)})

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(paths) / (time.perf_counter() - start)


def end_to_end_intra_op(model_bytes, paths, transform, threads):
    """One session with `threads` intra-op threads, photos one after another."""
    s = session(model_bytes, threads)
    s.run(["logits"], {"input": decode(paths[0], transform)})
    start = time.perf_counter()
    for p in paths:
        s.run(["logits"], {"input": decode(p, transform)})
    return len(paths) / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--images", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--transform", default="squash", choices=["squash", "centerCrop"])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(args.images, "*.jpg")))
    if args.limit:
        paths = paths[:args.limit]
    if not paths:
        raise SystemExit(f"no .jpg files in {args.images}")
    global SIZE
    metadata, weights = pqformat.read(args.weights)
    SIZE = int(metadata.get("image_size", 224))
    model_bytes = build_graph(weights, block_table(metadata)).SerializeToString()

    # Per-photo costs in thread CPU time (like photoq's), throughput in wall time.
    start = time.thread_time()
    inputs = [decode(p, args.transform) for p in paths]
    decode_ms = (time.thread_time() - start) * 1000 / len(paths)

    s = session(model_bytes, 1)
    for x in inputs[:3]:
        s.run(["logits"], {"input": x})
    start = time.thread_time()
    for x in inputs:
        s.run(["logits"], {"input": x})
    network_ms = (time.thread_time() - start) * 1000 / len(paths)

    end_to_end = []
    for t in [int(v) for v in args.threads.split(",")]:
        workers = end_to_end_workers(model_bytes, paths, args.transform, t)
        intra = end_to_end_intra_op(model_bytes, paths, args.transform, t) if t > 1 else workers
        end_to_end.append({"threads": t, "photos_per_second": max(workers, intra),
                           "parallel_over_photos": workers, "intra_op": intra})
    report = {"version": 1, "onnxruntime": ort.__version__, "photos": len(paths),
              "decode_ms_per_photo": decode_ms, "network_ms_per_photo": network_ms, "end_to_end": end_to_end}
    if args.json:
        json.dump(report, sys.stdout)
        print()
    else:
        print(f"ONNX Runtime {ort.__version__}: {len(paths)} photos, decode {decode_ms:.2f} ms/photo, "
              f"network {network_ms:.2f} ms/photo")
        for e in end_to_end:
            print(f"  {e['threads']} thread(s): {e['photos_per_second']:.1f} photos/s "
                  f"(over photos {e['parallel_over_photos']:.1f}, intra-op {e['intra_op']:.1f})")


if __name__ == "__main__":
    main()
