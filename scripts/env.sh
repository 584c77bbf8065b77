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
