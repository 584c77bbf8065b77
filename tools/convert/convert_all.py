"""Converts every pretrained model photoq uses into its weight format.

Each converter module exposes `outputs()` (file names it writes) and
`convert(out_dir)`. A converter is skipped when all its outputs exist and are
newer than the converter itself, so re-running set-up is quick."""
import argparse
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

CONVERTERS = ["efficientnet", "imagenet_labels", "minilm", "glove"]


def up_to_date(module, out_dir):
    source_time = os.path.getmtime(module.__file__)
    for name in module.outputs():
        path = os.path.join(out_dir, name)
        if not os.path.exists(path) or os.path.getmtime(path) < source_time:
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="model directory to write")
    parser.add_argument("--force", action="store_true", help="convert even if up to date")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in CONVERTERS:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name + ".py")
        if not os.path.exists(path):
            continue
        module = importlib.import_module(name)
        if not args.force and up_to_date(module, args.out):
            print(f"  {name}: up to date", file=sys.stderr)
            continue
        start = time.time()
        module.convert(args.out)
        print(f"  {name}: converted in {time.time() - start:.1f}s -> {', '.join(module.outputs())}", file=sys.stderr)


if __name__ == "__main__":
    main()
