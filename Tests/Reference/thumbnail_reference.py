"""Independent references for the thumbnail tests: Python's hashlib, urllib
and Pillow, writing and reading thumbnails the way the freedesktop Thumbnail
Managing Standard describes.

Commands:
  md5 TEXT                     hex MD5 of TEXT's UTF-8 bytes (hashlib).
  name PATH                    the standard's file name for PATH: MD5 of
                               file:// + the path quoted as GLib does.
  write PNG PATH MTIME R G B   a 64x48 thumbnail of one colour for PATH with
                               Thumb::URI and Thumb::MTime, written by Pillow.
  text PNG                     JSON of the PNG's text chunks and its size, as
                               Pillow reads them.
"""
import hashlib
import json
import sys
import urllib.parse

from PIL import Image, PngImagePlugin


def uri(path):
    # GLib's g_filename_to_uri keeps these besides letters and digits.
    return "file://" + urllib.parse.quote(path.encode("utf-8"), safe="-._~/!$&'()*+,=:@")


def main(argv):
    command = argv[1]
    if command == "md5":
        print(hashlib.md5(argv[2].encode("utf-8")).hexdigest())
    elif command == "name":
        print(uri(argv[2]))
        print(hashlib.md5(uri(argv[2]).encode("ascii")).hexdigest() + ".png")
    elif command == "write":
        png, path, mtime = argv[2], argv[3], argv[4]
        colour = tuple(int(v) for v in argv[5:8])
        info = PngImagePlugin.PngInfo()
        info.add_text("Thumb::URI", uri(path))
        info.add_text("Thumb::MTime", mtime)
        info.add_text("Software", "thumbnail_reference.py")
        Image.new("RGB", (64, 48), colour).save(png, pnginfo=info)
    elif command == "text":
        image = Image.open(argv[2])
        image.load()
        print(json.dumps({"text": image.text, "size": list(image.size), "mode": image.mode}))
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
