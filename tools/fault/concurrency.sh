#!/usr/bin/env bash
# Concurrency benchmark of photoqd's socket server: a real photoqd indexes
# the COCO photos (191), then tools/fault/loadgen.py runs 1, 10, 100 and 200
# concurrent clients, each connecting per query and searching back to back for
# SECONDS, first alone and then while IDLE silent connections are held open.
# Prints queries/s, p50/p99/max latency, the fewest queries any client got
# through, every failure by kind (busy, connection reset, timeout...), and
# photoqd's and the generator's own CPU time per query (steadier than rates on a
# shared machine).
#
#   tools/fault/concurrency.sh                      # ~40 s after indexing
#   SECONDS_PER_LEVEL=5 LEVELS=200 IDLE=0,64,512 tools/fault/concurrency.sh
#   PHOTOQ_BIN_DIR=/other/build/release tools/fault/concurrency.sh   # compare builds
# Needs release binaries (scripts/build, or PHOTOQ_BIN_DIR) and installed models.
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
BIN="${PHOTOQ_BIN_DIR:-$REPO/.build/release}"
LEVELS="${LEVELS:-1,10,100,200}"
IDLE="${IDLE:-0,64}"
SECONDS_PER_LEVEL="${SECONDS_PER_LEVEL:-3}"
PACE="${PACE:-0}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/photoq-concurrency.XXXXXX")"
SOCKET="$WORK/run/photoq.sock"
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

step "library: the COCO photos, linked into $WORK/library"
mkdir -p "$WORK/library"
for f in "$PHOTOQ_DATA_DIR"/coco-val2017/images/*.jpg; do
  ln "$f" "$WORK/library/" 2>/dev/null || cp "$f" "$WORK/library/"
done
count=$(ls "$WORK/library" | wc -l)

step "indexing $count photos"
"$BIN/photoqd" --root "$WORK/library" --db "$WORK/state" --socket "$SOCKET" --log-level warning 2>>"$WORK/photoqd.log" &
daemon=$!
until read -r indexed pending < <("$BIN/photoq" --socket "$SOCKET" --status --json 2>/dev/null | "$PHOTOQ_PYTHON" -c \
    'import json,sys; s=json.load(sys.stdin); print(s["indexed"] + s["failed"], s["pending"])' 2>/dev/null) \
    && [ "$indexed" -ge "$count" ] && [ "$pending" -eq 0 ]; do
  kill -0 "$daemon" 2>/dev/null || { cat "$WORK/photoqd.log" >&2; exit 1; }
  sleep 0.5
done

step "load: $LEVELS concurrent clients x $SECONDS_PER_LEVEL s, idle connections $IDLE ($(nproc) cores)"
"$PHOTOQ_PYTHON" "$REPO/tools/fault/loadgen.py" "$SOCKET" --levels "$LEVELS" --idle "$IDLE" \
  --seconds "$SECONDS_PER_LEVEL" --pace "$PACE" --pid "$daemon"
kill -0 "$daemon" || { echo "photoqd died:" >&2; cat "$WORK/photoqd.log" >&2; exit 1; }
echo "photoqd peak RSS $(awk '/VmHWM/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$daemon/status"), log lines: $(wc -l < "$WORK/photoqd.log")"
