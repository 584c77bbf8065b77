#!/usr/bin/env python3
"""Writes a set of hostile JPEGs for the ingest pipeline: decompression,
memory and CPU bombs that are tiny on disk but ask a naive decoder for
gigabytes or minutes, next to a few plain photos to show ingest carries on.

    ingest_bombs.py OUT_DIR [--copies 5] [--scans 5000] [--sparse-mb 1536] [--photos DIR --photo-count 10]

Kinds (each written --copies times, as KIND-N.jpg):
  cmyk-progressive   progressive CMYK declaring 10000x10000 (800 MB of
                     coefficient buffers in libjpeg; the file is < 1 KB)
  ycc-progressive    progressive 4:4:4 YCbCr declaring 8000x8000 (384 MB)
  huge-baseline      baseline declaring 65000x65000 (4.2 GP, over any pixel limit)
  big-baseline       baseline declaring 10000x9999, just under 100 MP, no data
  many-scans         progressive 4096x4096 with --scans scans (a CPU bomb:
                     every scan walks the whole image)
  sparse             a valid JPEG header followed by a --sparse-mb hole
                     (costs no disk; written once, not --copies times)
Needs Pillow (the project's .venv has it). Takes a few seconds.
"""
import argparse
import io
import os
import shutil
import struct
import sys

from PIL import Image


def segments(data: bytes):
    """(marker, start, end) of each marker segment up to the first SOS,
    then ('scan', start, end) for each scan (SOS header plus entropy data)."""
    out = []
    i = 2
    while i < len(data) - 1:
        assert data[i] == 0xFF, f"marker expected at {i}"
        marker = data[i + 1]
        if marker == 0xD9:
            break
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        end = i + 2 + length
        if marker == 0xDA:
            # Entropy data runs to the next marker that is not stuffing or RST.
            j = end
            while j < len(data) - 1:
                if data[j] == 0xFF and data[j + 1] != 0x00 and not (0xD0 <= data[j + 1] <= 0xD7):
                    break
                j += 1
            out.append(("scan", i, j))
            i = j
        else:
            out.append((marker, i, end))
            i = end
    return out


def with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its SOF header declaring width x height."""
    data = bytearray(jpeg)
    for marker, start, _ in segments(jpeg):
        if marker in (0xC0, 0xC1, 0xC2):
            data[start + 5:start + 9] = struct.pack(">HH", height, width)
            return bytes(data)
    raise ValueError("no SOF")


def encode(mode: str, size, **options) -> bytes:
    image = Image.new(mode, size, (90, 140, 200, 30)[:len(mode)] if mode != "L" else 128)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **options)
    return buffer.getvalue()


def many_scans(scans: int) -> bytes:
    """A progressive JPEG whose last scan is repeated until there are `scans`."""
    jpeg = encode("RGB", (32, 32), progressive=True, subsampling=0)
    parts = segments(jpeg)
    head = b"".join(jpeg[s:e] for m, s, e in parts if m != "scan")
    found = [jpeg[s:e] for m, s, e in parts if m == "scan"]
    body = b"".join(found) + found[-1] * max(0, scans - len(found))
    return with_size(jpeg[:2] + head + body + b"\xff\xd9", 4096, 4096)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--scans", type=int, default=5000)
    parser.add_argument("--sparse-mb", type=int, default=1536)
    parser.add_argument("--photos", help="folder of real photos to copy in as well")
    parser.add_argument("--photo-count", type=int, default=10)
    args = parser.parse_args()
    os.makedirs(args.out, mode=0o700, exist_ok=True)

    kinds = {
        "cmyk-progressive": with_size(encode("CMYK", (16, 16), progressive=True), 10000, 10000),
        "ycc-progressive": with_size(encode("RGB", (16, 16), progressive=True, subsampling=0), 8000, 8000),
        "huge-baseline": with_size(encode("RGB", (16, 16)), 65000, 65000),
        "big-baseline": with_size(encode("RGB", (16, 16)), 10000, 9999),
        "many-scans": many_scans(args.scans),
    }
    written = []
    for kind, data in kinds.items():
        for n in range(args.copies):
            path = os.path.join(args.out, f"{kind}-{n}.jpg")
            with open(path, "wb") as f:
                f.write(data)
            written.append((path, len(data)))
    sparse = os.path.join(args.out, "sparse-0.jpg")
    with open(sparse, "wb") as f:
        f.write(encode("RGB", (16, 16))[:-2])  # no EOI: the hole follows the scan
        f.truncate(args.sparse_mb << 20)
    written.append((sparse, args.sparse_mb << 20))
    if args.photos:
        names = sorted(n for n in os.listdir(args.photos) if n.lower().endswith(".jpg"))[:args.photo_count]
        for name in names:
            target = os.path.join(args.out, "photo-" + name)
            shutil.copyfile(os.path.join(args.photos, name), target)
            written.append((target, os.path.getsize(target)))
    for path, size in written:
        print(f"{os.path.basename(path)}\t{size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
