"""Independent references for the Imaging tests, using Pillow and NumPy.

Commands (raw arrays are C-order little-endian files):
  fixtures DIR                 write grayscale/CMYK/progressive/orientation JPEGs
                               into DIR and print a JSON description with what
                               Pillow decodes from each.
  resize IN H W C OUTH OUTW FILTER OUT
                               IN float32 (H,W,C) -> OUT float32 (OUTH,OUTW,C).
                               FILTER bilinear: Pillow's BILINEAR on float ("F")
                               planes; area: exact area average computed by
                               replicating pixels onto a common grid.
  network IN H W SIZE TRANSFORM OUT
                               IN uint8 (H,W,3) -> OUT float32 (3,SIZE,SIZE):
                               squash, or centerCrop (shorter side to
                               round(SIZE*256/224), centre square).
  decode JPEG OUT              Pillow's RGB pixels (no EXIF rotation), uint8
                               (H,W,3); prints "W H".
  png PNG OUT                  Pillow's reading of a PNG as uint8 (H,W,3); prints "W H".
"""
import json
import os
import sys

import numpy as np
from PIL import Image, ImageOps

QUADRANT_COLOURS = [(220, 30, 30), (30, 200, 40), (30, 40, 220), (230, 220, 30)]  # TL TR BL BR


def quadrant_image(width, height):
    a = np.zeros((height, width, 3), np.uint8)
    h2, w2 = height // 2, width // 2
    a[:h2, :w2], a[:h2, w2:], a[h2:, :w2], a[h2:, w2:] = QUADRANT_COLOURS
    return Image.fromarray(a, "RGB")


def quadrant_means(image):
    a = np.asarray(image.convert("RGB"), np.float64)
    h, w = a.shape[:2]
    # Sample the middle of each quadrant, away from JPEG ringing at the edges.
    def mean(y0, y1, x0, x1):
        return a[y0:y1, x0:x1].reshape(-1, 3).mean(0).tolist()
    q = lambda n, lo: (lo + n // 8, lo + 3 * n // 8)
    (ty0, ty1), (by0, by1) = q(h, 0), q(h, h // 2)
    (lx0, lx1), (rx0, rx1) = q(w, 0), q(w, w // 2)
    return [mean(ty0, ty1, lx0, lx1), mean(ty0, ty1, rx0, rx1),
            mean(by0, by1, lx0, lx1), mean(by0, by1, rx0, rx1)]


# The stored image for each orientation is the upright one transformed by the
# inverse of what ImageOps.exif_transpose applies for that tag.
INVERSE_OF_EXIF_TRANSPOSE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def fixtures(out_dir):
    described = {}
    upright = quadrant_image(64, 48)
    for tag, inverse in INVERSE_OF_EXIF_TRANSPOSE.items():
        stored = upright if inverse is None else upright.transpose(inverse)
        path = os.path.join(out_dir, f"orientation_{tag}.jpg")
        exif = Image.Exif()
        exif[0x0112] = tag
        stored.save(path, quality=95, exif=exif.tobytes())
        seen = ImageOps.exif_transpose(Image.open(path))
        described[f"orientation_{tag}"] = {"file": path, "size": list(seen.size),
                                           "quadrants": quadrant_means(seen)}

    y, x = np.mgrid[0:60, 0:80]
    smooth = np.stack([x * 3, y * 4, (x + y) * 1.5], -1).clip(0, 255).astype(np.uint8)

    gray = Image.fromarray(((x * 3 + y) % 256).astype(np.uint8), "L")
    cmyk = Image.fromarray(np.stack([x * 3, y * 4, 255 - x * 3, (y * 2) % 128], -1).clip(0, 255).astype(np.uint8), "CMYK")
    cases = {
        "grayscale": (gray, {}),
        "cmyk": (cmyk, {}),
        "progressive": (Image.fromarray(smooth, "RGB"), {"progressive": True}),
        "baseline": (Image.fromarray(smooth, "RGB"), {}),
    }
    for name, (image, options) in cases.items():
        path = os.path.join(out_dir, name + ".jpg")
        image.save(path, quality=92, **options)
        decoded = Image.open(path)
        raw = os.path.join(out_dir, name + ".rgb")
        np.asarray(decoded.convert("RGB"), np.uint8).tofile(raw)
        described[name] = {"file": path, "size": list(decoded.size), "mode": decoded.mode,
                           "pixels": raw, "progressive": bool(decoded.info.get("progressive", 0))}
    json.dump(described, sys.stdout)


def resize_bilinear(planes, out_h, out_w):
    return np.stack([np.asarray(Image.fromarray(np.ascontiguousarray(planes[..., c]), "F")
                                .resize((out_w, out_h), Image.Resampling.BILINEAR), np.float32)
                     for c in range(planes.shape[2])], -1)


def area_1d(a, axis, out_n):
    # Replicate each sample out_n times, then average groups of in_n: the exact
    # area-weighted mean, with no fractional-weight bookkeeping.
    in_n = a.shape[axis]
    fine = np.repeat(a.astype(np.float64), out_n, axis=axis)
    shape = list(fine.shape)
    shape[axis:axis + 1] = [out_n, in_n]
    return fine.reshape(shape).mean(axis=axis + 1)


def resize(args):
    path, h, w, c, out_h, out_w, kind, out = args
    h, w, c, out_h, out_w = map(int, (h, w, c, out_h, out_w))
    x = np.fromfile(path, np.float32).reshape(h, w, c)
    if kind == "bilinear":
        y = resize_bilinear(x, out_h, out_w)
    elif kind == "area":
        y = area_1d(area_1d(x, 1, out_w), 0, out_h)
    else:
        raise SystemExit(f"unknown filter {kind}")
    y.astype(np.float32).tofile(out)


def network(args):
    path, h, w, size, transform, out = args
    h, w, size = int(h), int(w), int(size)
    x = np.fromfile(path, np.uint8).reshape(h, w, 3).astype(np.float32)
    if transform == "squash":
        y = resize_bilinear(x, size, size)
    elif transform == "centerCrop":
        shorter = int(np.floor(size * 256 / 224 + 0.5))
        if w <= h:
            sw, sh = shorter, max(size, int(np.floor(h * shorter / w + 0.5)))
        else:
            sw, sh = max(size, int(np.floor(w * shorter / h + 0.5))), shorter
        scaled = resize_bilinear(x, sh, sw)
        top, left = (sh - size) // 2, (sw - size) // 2
        y = scaled[top:top + size, left:left + size]
    else:
        raise SystemExit(f"unknown transform {transform}")
    np.ascontiguousarray(y.transpose(2, 0, 1), np.float32).tofile(out)


def dump(args):
    path, out = args
    image = Image.open(path).convert("RGB")
    np.asarray(image, np.uint8).tofile(out)
    print(image.size[0], image.size[1])


if __name__ == "__main__":
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "fixtures":
        fixtures(rest[0])
    elif command == "resize":
        resize(rest)
    elif command == "network":
        network(rest)
    elif command in ("decode", "png"):
        dump(rest)
    else:
        raise SystemExit(f"unknown command {command}")
