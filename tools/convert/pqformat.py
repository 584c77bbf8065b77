"""Writer for photoq's weight format: safetensors with photoq metadata and
64-byte aligned tensors (see Sources/ModelFormat/WeightFile.swift).

Plain NumPy, so set-up needs neither torch nor the safetensors package."""
import json
import os
import struct

import numpy as np

FORMAT_VERSION = 1
_DTYPES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int32"): "I32"}


def write(path, tensors, metadata=None):
    """tensors: dict name -> numpy array (float32 or int32, C order)."""
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta["format"] = "photoq"
    meta["format_version"] = str(FORMAT_VERSION)
    header = {"__metadata__": meta}
    chunks, offset = [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        if array.dtype not in _DTYPES:
            raise ValueError(f"{name}: unsupported dtype {array.dtype}")
        pad = (-offset) % 64
        chunks.append(b"\0" * pad)
        offset += pad
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": _DTYPES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    blob = json.dumps(header, sort_keys=True).encode()
    blob += b" " * ((-(8 + len(blob))) % 64)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for chunk in chunks:
            f.write(chunk)
    os.replace(tmp, path)


def read(path):
    """Returns (metadata, dict name -> numpy array); also reads plain safetensors."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    kinds = {"F32": "<f4", "I32": "<i4", "F16": "<f2", "BF16": None, "I64": "<i8"}
    out = {}
    for name, info in header.items():
        start, end = info["data_offsets"]
        buf = raw[8 + n + start:8 + n + end]
        if info["dtype"] == "BF16":
            u = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=kinds[info["dtype"]])
        out[name] = arr.reshape(info["shape"])
    return meta, out
