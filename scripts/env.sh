# Shared settings for the scripts; sourced, not run.
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PHOTOQ_VENV:-$REPO/.venv}"
export PHOTOQ_PYTHON="${PHOTOQ_PYTHON:-$VENV/bin/python}"
export PHOTOQ_DATA_DIR="${PHOTOQ_DATA_DIR:-$REPO/../shared/data}"
export PHOTOQ_MODEL_DIR="${PHOTOQ_MODEL_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/photoq/models}"
# One BLAS thread per process unless told otherwise: the daemon and the tools
# parallelise over photos themselves.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
step() { printf '\n==> %s\n' "$*" >&2; }

# Swift is not a Debian package: say where to get it instead of "command not found".
require_swift() {
  command -v swift >/dev/null || { [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"; }
  if ! command -v swift >/dev/null; then
    echo "photoq needs the Swift 6 toolchain (6.0 or later), which Debian does not package." >&2
    echo "Download it from https://www.swift.org/install/linux/ (or use swiftly), unpack it, and put its usr/bin on PATH." >&2
    exit 1
  fi
  if ! swift --version 2>/dev/null | grep -Eq 'Swift version ([6-9]|[1-9][0-9])\.'; then
    echo "photoq needs Swift 6 or later; found: $(swift --version 2>&1 | head -1)" >&2
    exit 1
  fi
}
