#!/usr/bin/env python3
"""Writes damaged copies of JPEG photos: random bit flips in the entropy-coded
data (after the first start-of-scan header), the bytes a bad disk, a flaky
card reader or a broken transfer damages. Header bytes are left alone, so
every copy still parses and the damage is in the image data itself.

    ingest_bitflips.py SOURCE_DIR OUT_DIR [--count 350] [--seed 15] [--max-flips 8]

Deterministic for a given seed. Prints one line per copy: name, flips.
"""
import argparse
import os
import random
import sys


def entropy_start(data: bytes) -> int:
    """Offset just past the first SOS segment header (where scan data begins)."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ValueError("marker expected")
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if marker == 0xDA:
            return i + 2 + length
        i += 2 + length
    raise ValueError("no start of scan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--count", type=int, default=350)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--max-flips", type=int, default=8)
    args = parser.parse_args()
    sources = sorted(n for n in os.listdir(args.source) if n.lower().endswith((".jpg", ".jpeg")))
    if not sources:
        print(f"no JPEGs in {args.source}", file=sys.stderr)
        return 1
    os.makedirs(args.out, mode=0o700, exist_ok=True)
    rng = random.Random(args.seed)
    for n in range(args.count):
        name = sources[n % len(sources)]
        with open(os.path.join(args.source, name), "rb") as f:
            data = bytearray(f.read())
        start, end = entropy_start(data), len(data) - 2  # keep the EOI marker
        flips = rng.randint(1, args.max_flips)
        for _ in range(flips):
            offset = rng.randrange(start, end)
            data[offset] ^= 1 << rng.randrange(8)
        out = os.path.join(args.out, f"flip{n:03d}-{name}")
        with open(out, "wb") as f:
            f.write(data)
        print(f"{os.path.basename(out)}\t{flips}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
