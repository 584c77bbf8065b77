"""Finds files inside installed PyPI packages without importing them (some
would import torch)."""
import importlib.util
import os


def package_file(package, *parts):
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"Python package {package} is not installed; run scripts/install-deps")
    path = os.path.join(list(spec.submodule_search_locations)[0], *parts)
    if not os.path.exists(path):
        raise SystemExit(f"{path} is missing from package {package}")
    return path
