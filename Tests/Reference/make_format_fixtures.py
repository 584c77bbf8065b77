"""Writes one file per still-image format and variant photoq decodes, each
made from a sample JPEG, and prints a JSON description for the Swift tests.

  make_format_fixtures.py SAMPLES_DIR OUT_DIR [WIDTH]

Each sample photo is first resized to WIDTH (default 320) and saved as a
reference JPEG (q95); every other file is written from Pillow's decoding of
that JPEG, so a correct decoder gives back the reference picture. Tools:
Pillow and NumPy (in the venv), heif-enc (libheif-examples) and avifenc
(libavif-bin). 16-bit and interlaced PNG, 16-bit TIFF and DNG are written by
hand below (Pillow cannot write them).

Fixture fields: file, format (what ImageDecoder must report), reference (the
JPEG it came from), expect ("same", "grey": the reference in luma,
"alpha-left": left half transparent, so background grey there, or
"alpha-half": alpha 128 everywhere, half picture half grey), tolerance
(mean absolute difference bound, 0-255), orientation (what the decoder must
report as applied, when the file carries one).
"""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image

# Pixels stored so that applying EXIF orientation N shows the upright picture
# (the inverse of Pillow's exif_transpose for N).
STORE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}

fixtures = []


def add(path, fmt, reference, expect="same", tolerance=2.0, orientation=None):
    entry = {"file": path, "format": fmt, "reference": reference, "expect": expect, "tolerance": tolerance}
    if orientation is not None:
        entry["orientation"] = orientation
    fixtures.append(entry)


def exif_with_orientation(value):
    exif = Image.Exif()
    exif[0x0112] = value
    return exif


def exif_with_date():
    exif = Image.Exif()
    exif[0x0112] = 1   # Pillow writes no PNG eXIf for an IFD0 without entries
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = "2024:06:01 12:34:56"
    sub[0x9011] = "+02:00"
    sub[0x9291] = "25"
    return exif


def run(*command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# --- Hand-written writers -------------------------------------------------

def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path, array, bit_depth=8, interlaced=False):
    """RGB (H, W, 3) uint8 or uint16 array; Adam7 when interlaced."""
    height, width = array.shape[:2]
    sample = ">u2" if bit_depth == 16 else "u1"
    data = array.astype(sample)

    def scanlines(block):
        return b"".join(b"\0" + row.tobytes() for row in block)   # filter 0 on every row

    if interlaced:
        passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
        raw = b"".join(scanlines(data[y0::dy, x0::dx]) for x0, y0, dx, dy in passes
                       if data[y0::dy, x0::dx].size)
    else:
        raw = scanlines(data)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, 2, 0, 0, 1 if interlaced else 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(raw))
                + png_chunk(b"IEND", b""))


TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 10: 8, 12: 8}


def pack_tiff_values(kind, values):
    if kind in (5, 10):
        fmt = "<II" if kind == 5 else "<ii"
        return b"".join(struct.pack(fmt, n, d) for n, d in values)
    if kind == 2:
        return values.encode() + b"\0"
    codes = {1: "B", 3: "H", 4: "I", 12: "d"}
    return struct.pack("<" + codes[kind] * len(values), *values)


def ifd_bytes(entries, base, sub_offsets):
    """One little-endian IFD written at file offset `base`, its out-of-line
    values right after it; "SUBIFDS" as a value stands for `sub_offsets`."""
    entries = sorted(entries, key=lambda e: e[0])
    table = bytearray(struct.pack("<H", len(entries)))
    extra = bytearray()
    extra_base = base + 2 + 12 * len(entries) + 4
    for tag, kind, values in entries:
        if values == "SUBIFDS":
            kind, payload = 4, struct.pack("<" + "I" * len(sub_offsets), *sub_offsets)
        else:
            payload = pack_tiff_values(kind, values)
        count = len(payload) // TIFF_TYPE_SIZES[kind]
        if len(payload) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + payload.ljust(4, b"\0")
        else:
            if (extra_base + len(extra)) % 2:
                extra += b"\0"
            table += struct.pack("<HHII", tag, kind, count, extra_base + len(extra))
            extra += payload
    table += struct.pack("<I", 0)
    return table + extra


def write_tiff(path, ifds, blobs):
    """ifds: list of entry lists; entries may use ("DATA", i) for an offset to
    blobs[i] and "SUBIFDS" for the offsets of IFDs 1..n."""
    header = bytearray(b"II*\0\0\0\0\0")
    data = bytearray()
    blob_offsets = []
    position = len(header)
    for blob in blobs:
        if position % 2:
            data += b"\0"
            position += 1
        blob_offsets.append(position)
        data += blob
        position += len(blob)
    def resolved(ifd):
        return [(tag, kind, [blob_offsets[values[1]]] if isinstance(values, tuple) else values)
                for tag, kind, values in ifd]

    # Place the sub-IFDs first (after the blobs), then IFD0 that points at them.
    body = bytearray()
    sub_offsets = []
    base = position + (position % 2)
    for ifd in ifds[1:]:
        sub_offsets.append(base + len(body))
        body += ifd_bytes(resolved(ifd), base + len(body), [])
        if len(body) % 2:
            body += b"\0"
    ifd0_offset = base + len(body)
    body += ifd_bytes(resolved(ifds[0]), ifd0_offset, sub_offsets)
    struct.pack_into("<I", header, 4, ifd0_offset)
    with open(path, "wb") as f:
        f.write(header + data + (b"\0" if position % 2 else b"") + body)


def write_rgb_tiff(path, array, orientation=1, exif_entries=None):
    """Uncompressed RGB, 8 or 16 bits by the array's dtype; `exif_entries`
    go into an Exif sub-IFD."""
    height, width = array.shape[:2]
    bits = 16 if array.dtype == np.uint16 else 8
    pixels = array.astype("<u2" if bits == 16 else "u1").tobytes()
    ifd0 = [(256, 4, [width]), (257, 4, [height]), (258, 3, [bits] * 3), (259, 3, [1]), (262, 3, [2]),
            (273, 4, ("DATA", 0)), (274, 3, [orientation]), (277, 3, [3]), (278, 4, [height]),
            (279, 4, [len(pixels)]), (284, 3, [1])]
    ifds = [ifd0]
    if exif_entries:
        ifd0.append((34665, 4, "SUBIFDS"))
        ifds.append(exif_entries)
    write_tiff(path, ifds, [pixels])


def srgb_to_linear(a):
    a = a / 255.0
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)


def write_dng(path, image, orientation=1, preview=None, exif_entries=None):
    """A linear-raw DNG (three 16-bit samples, linear sRGB primaries) with an
    optional embedded JPEG preview in a sub-IFD, or else optional Exif entries."""
    upright = np.asarray(image.convert("RGB"))
    stored = np.asarray(image.transpose(STORE_FOR_ORIENTATION[orientation])) if orientation != 1 else upright
    height, width = stored.shape[:2]
    linear = (srgb_to_linear(stored.astype(np.float64)) * 65535).round().astype("<u2")
    # One white pixel, so the data reaches the white level as a camera's does
    # (LibRaw otherwise rescales to the brightest value found).
    linear[0, 0] = 65535
    raw = linear.tobytes()
    # XYZ (D65) to linear sRGB, the camera's "native" space here, as SRATIONALs.
    xyz_to_camera = [3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570]
    blobs = [raw]
    ifd0 = [(254, 4, [0]), (256, 4, [width]), (257, 4, [height]), (258, 3, [16, 16, 16]), (259, 3, [1]),
            (262, 3, [34892]), (271, 2, "photoq"), (272, 2, "fixture"), (273, 4, ("DATA", 0)),
            (274, 3, [orientation]), (277, 3, [3]), (278, 4, [height]), (279, 4, [len(raw)]), (284, 3, [1]),
            (50706, 1, [1, 4, 0, 0]), (50708, 2, "photoq fixture"), (50717, 4, [65535]),
            (50721, 10, [(round(v * 10000), 10000) for v in xyz_to_camera]), (50778, 3, [21]),
            (50728, 5, [(1, 1), (1, 1), (1, 1)])]
    ifds = [ifd0]
    if preview is not None:
        buffer = io.BytesIO()
        preview_stored = preview.transpose(STORE_FOR_ORIENTATION[orientation]) if orientation != 1 else preview
        preview_stored.save(buffer, "JPEG", quality=95)
        jpeg = buffer.getvalue()
        blobs.append(jpeg)
        pw, ph = preview_stored.size
        ifd0.append((330, 4, "SUBIFDS"))
        ifds.append([(254, 4, [1]), (256, 4, [pw]), (257, 4, [ph]), (258, 3, [8, 8, 8]), (259, 3, [7]),
                     (262, 3, [6]), (273, 4, ("DATA", 1)), (277, 3, [3]), (278, 4, [ph]), (279, 4, [len(jpeg)])])
    elif exif_entries:
        ifd0.append((34665, 4, "SUBIFDS"))
        ifds.append(exif_entries)
    write_tiff(path, ifds, blobs)


def top_down_bmp(path, image):
    buffer = io.BytesIO()
    image.save(buffer, "BMP")
    data = bytearray(buffer.getvalue())
    offset, = struct.unpack_from("<I", data, 10)
    width, height = struct.unpack_from("<ii", data, 18)
    row = (width * 3 + 3) // 4 * 4
    rows = [data[offset + i * row: offset + (i + 1) * row] for i in range(height)]
    data[offset:] = b"".join(reversed(rows))
    struct.pack_into("<i", data, 22, -height)
    with open(path, "wb") as f:
        f.write(data)


def videos(out):
    """Headers of video containers (enough for magic-byte detection)."""
    def box(kind, payload):
        return struct.pack(">I", 8 + len(payload)) + kind + payload
    files = {
        "clip.mp4": (box(b"ftyp", b"isom\0\0\2\0isomiso2avc1mp41") + box(b"free", b"") + box(b"mdat", b"\0" * 64), "MP4"),
        "clip.mov": (box(b"ftyp", b"qt  \0\0\2\0qt  ") + box(b"wide", b"") + box(b"mdat", b"\0" * 64), "QuickTime"),
        "clip.m4v": (box(b"ftyp", b"M4V \0\0\0\1M4V M4A mp42isom") + box(b"mdat", b"\0" * 64), "MP4"),
        "clip.avi": (b"RIFF" + struct.pack("<I", 100) + b"AVI LIST" + b"\0" * 92, "AVI"),
        "clip.mkv": (bytes([0x1A, 0x45, 0xDF, 0xA3]) + b"\x9f\x42\x86\x81\x01" + b"\0" * 64, "Matroska/WebM"),
        "clip.webm": (bytes([0x1A, 0x45, 0xDF, 0xA3]) + b"\x42\x82\x84webm" + b"\0" * 64, "Matroska/WebM"),
        "clip.ts": (b"".join(b"\x47\x40\x00\x10" + b"\xff" * 184 for _ in range(4)), "MPEG-TS"),
        "clip.mpg": (b"\0\0\1\xba" + b"\0" * 64, "MPEG"),
    }
    result = []
    for name, (data, container) in files.items():
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data)
        result.append({"file": path, "container": container})
    return result


def main():
    samples, out = sys.argv[1], sys.argv[2]
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 320
    os.makedirs(out, exist_ok=True)
    names = sorted(n for n in os.listdir(samples) if n.endswith(".jpg"))
    for index, name in enumerate(names):
        stem = os.path.splitext(name)[0]
        source = Image.open(os.path.join(samples, name)).convert("RGB")
        height = round(source.height * width / source.width) // 4 * 4   # even grid tiles
        reference = os.path.join(out, f"{stem}.jpg")
        source.resize((width, height), Image.LANCZOS).save(reference, quality=95)
        image = Image.open(reference).convert("RGB")
        pixels = np.asarray(image)
        p = lambda suffix: os.path.join(out, f"{stem}-{suffix}")   # noqa: E731

        # Every sample in every format's main variant.
        image.save(p("rgb.png"))
        add(p("rgb.png"), "png", reference, tolerance=0.5)
        image.save(p("lossless.webp"), lossless=True)
        add(p("lossless.webp"), "webp", reference, tolerance=0.5)
        image.save(p("lossy.webp"), quality=92)
        add(p("lossy.webp"), "webp", reference, tolerance=4.0)
        image.save(p("rgb.tif"), compression="tiff_lzw")
        add(p("rgb.tif"), "tiff", reference, tolerance=0.5)
        image.save(p("rgb.bmp"))
        add(p("rgb.bmp"), "bmp", reference, tolerance=0.5)
        image.save(p("first.gif"))
        add(p("first.gif"), "gif", reference, tolerance=12.0)
        run("heif-enc", "-q", "92", reference, "-o", p("photo.heic"))
        add(p("photo.heic"), "heif", reference, tolerance=5.0)
        run("avifenc", "-s", "8", "--min", "0", "--max", "12", reference, p("photo.avif"))
        add(p("photo.avif"), "avif", reference, tolerance=5.0)
        write_dng(p("preview.dng"), image, preview=image)
        add(p("preview.dng"), "raw", reference, tolerance=3.0)
        write_dng(p("linear.dng"), image)
        add(p("linear.dng"), "raw", reference, tolerance=1.0)

        if index > 0:
            continue
        # Variants, on the first sample.
        other = Image.open(os.path.join(samples, names[-1])).convert("RGB").resize(image.size)
        image.quantize(256).save(p("palette.png"))
        add(p("palette.png"), "png", reference, tolerance=12.0)
        image.convert("L").save(p("grey.png"))
        add(p("grey.png"), "png", reference, expect="grey", tolerance=1.0)
        write_png(p("rgb16.png"), pixels.astype(np.uint16) * 257, bit_depth=16)
        add(p("rgb16.png"), "png", reference, tolerance=0.5)
        write_png(p("interlaced.png"), pixels, interlaced=True)
        add(p("interlaced.png"), "png", reference, tolerance=0.5)
        rgba = image.convert("RGBA")
        alpha = np.full((image.height, image.width), 255, np.uint8)
        alpha[:, : image.width // 2] = 0
        rgba.putalpha(Image.fromarray(alpha))
        rgba.save(p("alpha.png"))
        add(p("alpha.png"), "png", reference, expect="alpha-left", tolerance=0.5)
        image.transpose(STORE_FOR_ORIENTATION[6]).save(p("exif6.png"), exif=exif_with_orientation(6))
        add(p("exif6.png"), "png", reference, tolerance=0.5, orientation=6)
        shutil.copy(p("rgb.png"), p("png-named.jpg"))
        add(p("png-named.jpg"), "png", reference, tolerance=0.5)

        rgba.save(p("alpha.webp"), lossless=True)
        add(p("alpha.webp"), "webp", reference, expect="alpha-left", tolerance=0.5)
        image.save(p("animated.webp"), save_all=True, append_images=[other], lossless=True, duration=100)
        add(p("animated.webp"), "webp", reference, tolerance=0.5)
        image.transpose(STORE_FOR_ORIENTATION[8]).save(p("exif8.webp"), lossless=True, exif=exif_with_orientation(8))
        add(p("exif8.webp"), "webp", reference, tolerance=0.5, orientation=8)

        rgba.save(p("alpha.tif"))   # unassociated alpha, which libtiff hands back premultiplied
        add(p("alpha.tif"), "tiff", reference, expect="alpha-left", tolerance=0.5)
        translucent = image.convert("RGBA")
        translucent.putalpha(128)
        translucent.save(p("translucent.tif"))
        add(p("translucent.tif"), "tiff", reference, expect="alpha-half", tolerance=1.0)
        translucent.save(p("translucent.png"))
        add(p("translucent.png"), "png", reference, expect="alpha-half", tolerance=0.5)
        translucent.save(p("translucent.webp"), lossless=True, exact=True)
        add(p("translucent.webp"), "webp", reference, expect="alpha-half", tolerance=0.5)
        image.convert("CMYK").save(p("cmyk.tif"))
        add(p("cmyk.tif"), "tiff", reference, tolerance=1.0)
        write_rgb_tiff(p("rgb16.tif"), pixels.astype(np.uint16) * 257)
        add(p("rgb16.tif"), "tiff", reference, tolerance=0.5)
        image.save(p("pages.tif"), save_all=True, append_images=[other])
        add(p("pages.tif"), "tiff", reference, tolerance=0.5)
        image.save(p("jpeg.tif"), compression="jpeg", quality=95)
        add(p("jpeg.tif"), "tiff", reference, tolerance=4.0)
        write_rgb_tiff(p("orient5.tif"), np.asarray(image.transpose(STORE_FOR_ORIENTATION[5])).astype(np.uint16) * 257,
                       orientation=5)
        add(p("orient5.tif"), "tiff", reference, tolerance=0.5, orientation=5)

        image.save(p("animated.gif"), save_all=True, append_images=[other], duration=100)
        add(p("animated.gif"), "gif", reference, tolerance=12.0)
        image.quantize(256).save(p("palette.bmp"))
        add(p("palette.bmp"), "bmp", reference, tolerance=12.0)
        image.convert("RGBA").save(p("rgba.bmp"))
        add(p("rgba.bmp"), "bmp", reference, tolerance=0.5)
        top_down_bmp(p("topdown.bmp"), image)
        add(p("topdown.bmp"), "bmp", reference, tolerance=0.5)

        # HEIF: 10-bit from a 16-bit PNG; EXIF orientation 6 without irot, which
        # must not be applied (libheif's transforms are the only ones).
        write_png(p("src16.png"), pixels.astype(np.uint16) * 257, bit_depth=16)
        run("heif-enc", "-q", "92", "-b", "10", p("src16.png"), "-o", p("10bit.heic"))
        add(p("10bit.heic"), "heif", reference, tolerance=5.0)
        image.save(p("exif6-src.jpg"), quality=95, exif=exif_with_orientation(6))
        run("heif-enc", "-q", "92", p("exif6-src.jpg"), "-o", p("exif-only.heic"))
        add(p("exif-only.heic"), "heif", reference, tolerance=5.0, orientation=1)
        # With a thumbnail 4/5 of the width (256 pixels for the default 320).
        run("heif-enc", "-q", "92", "-t", str(width * 4 // 5), reference, "-o", p("thumb.heic"))
        add(p("thumb.heic"), "heif", reference, tolerance=5.0)
        rgba.save(p("alpha-src.png"))
        run("heif-enc", "-q", "92", p("alpha-src.png"), "-o", p("alpha.heic"))
        add(p("alpha.heic"), "heif", reference, expect="alpha-left", tolerance=6.0)
        # AVIF: irot (90° anticlockwise on display), imir, a 2x2 grid, 10-bit.
        image.transpose(Image.Transpose.ROTATE_270).save(p("irot-src.png"))
        run("avifenc", "-s", "8", "--min", "0", "--max", "12", "--irot", "1", p("irot-src.png"), p("irot.avif"))
        add(p("irot.avif"), "avif", reference, tolerance=5.0)
        image.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(p("imir-src.png"))
        run("avifenc", "-s", "8", "--min", "0", "--max", "12", "--imir", "1", p("imir-src.png"), p("imir.avif"))
        add(p("imir.avif"), "avif", reference, tolerance=5.0)
        run("avifenc", "-s", "8", "--min", "0", "--max", "12", "-g", "2x2", p("rgb.png"), p("grid.avif"))
        add(p("grid.avif"), "avif", reference, tolerance=5.0)
        run("avifenc", "-s", "8", "--min", "0", "--max", "12", "-d", "10", p("src16.png"), p("10bit.avif"))
        add(p("10bit.avif"), "avif", reference, tolerance=5.0)

        write_dng(p("orient6-preview.dng"), image, orientation=6, preview=image)
        add(p("orient6-preview.dng"), "raw", reference, tolerance=3.0, orientation=6)
        write_dng(p("orient6-linear.dng"), image, orientation=6)
        add(p("orient6-linear.dng"), "raw", reference, tolerance=1.0, orientation=6)
        write_dng(p("small-preview.dng"), image, preview=image.resize((image.width // 4, image.height // 4)))
        add(p("small-preview.dng"), "raw", reference, tolerance=1.0)

        # Capture dates in three containers.
        image.save(p("dated.jpg"), quality=95, exif=exif_with_date())
        image.save(p("dated.png"), exif=exif_with_date())
        image.save(p("dated.webp"), lossless=True, exif=exif_with_date())
        run("heif-enc", "-q", "92", p("dated.jpg"), "-o", p("dated.heic"))   # heif-enc copies the Exif
        dated_entries = [(36867, 2, "2024:06:01 12:34:56"), (36881, 2, "+02:00"), (37521, 2, "25")]
        write_rgb_tiff(p("dated.tif"), pixels, exif_entries=dated_entries)
        write_dng(p("dated.dng"), image, exif_entries=dated_entries)

    json.dump({"fixtures": fixtures, "videos": videos(out)}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
