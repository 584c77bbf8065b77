#!/usr/bin/env bash
# Daemon benchmarks: index build time for N photos (the COCO photos linked
# many times under different names), warm end-to-end query latency (photoq
# process start to last byte) at N and at 100,000 vectors (synthetic vectors
# added for the larger figure), and the daemon's peak memory.
#
#   tools/daemon/bench.sh            # N=10000
#   N=2000 tools/daemon/bench.sh     # quicker
#   PHOTOQD_FLAGS=--thumbnails N=300 tools/daemon/bench.sh   # extra photoqd flags for the index build
# Needs release binaries (scripts/build, or PHOTOQ_BIN_DIR) and installed models.
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
N="${N:-10000}"
LARGE="${LARGE:-100000}"
QUERIES="${QUERIES:-30}"
BIN="${PHOTOQ_BIN_DIR:-$REPO/.build/release}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/photoq-bench.XXXXXX")"
SOCKET="$WORK/photoq.sock"
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

now_ns() { date +%s%N; }
status_field() { "$BIN/photoq" --socket "$SOCKET" --status --json 2>/dev/null | "$PHOTOQ_PYTHON" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

start_daemon() {
  "$BIN/photoqd" --root "$WORK/library" --db "$WORK/state" --socket "$SOCKET" "$@" 2>>"$WORK/photoqd.log" &
  daemon=$!
  until "$BIN/photoq" --socket "$SOCKET" --status >/dev/null 2>&1; do
    kill -0 "$daemon" 2>/dev/null || { cat "$WORK/photoqd.log" >&2; exit 1; }
    sleep 0.1
  done
}

stop_daemon() { kill "$daemon"; wait "$daemon" || true; daemon=""; }

# User + system CPU seconds the daemon has used so far (less sensitive to a
# busy machine than wall time).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$daemon/stat"; }

peak_rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$daemon/status"; }

# Warm latency: the median and 95th percentile of QUERIES photoq runs.
latency() {
  local queries=("dog on a beach" "a giraffe near trees" "pizza on a plate" "people skiing" "a red bus")
  "$BIN/photoq" --socket "$SOCKET" -n 10 "warm up" >/dev/null || true
  local samples=()
  for i in $(seq 1 "$QUERIES"); do
    local q="${queries[$((i % ${#queries[@]}))]}"
    local t0; t0=$(now_ns)
    "$BIN/photoq" --socket "$SOCKET" -n 10 "$q" >/dev/null
    samples+=($(( ($(now_ns) - t0) / 1000 )))
  done
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "median %.1f ms, p95 %.1f ms", a[int(NR/2)+1]/1000, a[int(NR*0.95)]/1000 }'
}

step "library of $N photo files in $WORK/library"
mkdir -p "$WORK/library"
mapfile -t coco < <(ls "$PHOTOQ_DATA_DIR"/coco-val2017/images/*.jpg)
for i in $(seq 0 $((N - 1))); do
  dir="$WORK/library/$((i / 1000))"
  [ -d "$dir" ] || mkdir -p "$dir"
  ln "${coco[$((i % ${#coco[@]}))]}" "$dir/photo-$i.jpg" 2>/dev/null || cp "${coco[$((i % ${#coco[@]}))]}" "$dir/photo-$i.jpg"
done

step "index build: $N photos"
t0=$(now_ns)
# shellcheck disable=SC2086 # PHOTOQD_FLAGS holds several words
start_daemon ${PHOTOQD_FLAGS:-}
while :; do
  read -r indexed pending failed < <("$BIN/photoq" --socket "$SOCKET" --status --json | "$PHOTOQ_PYTHON" -c \
    'import json,sys; s=json.load(sys.stdin); print(s["indexed"], s["pending"], s["failed"])')
  printf '\r  %d/%d indexed, %d pending, %d failed ' "$indexed" "$N" "$pending" "$failed" >&2
  [ $((indexed + failed)) -ge "$N" ] && [ "$pending" -eq 0 ] && break
  sleep 0.5
done
seconds=$(( ($(now_ns) - t0) / 1000000 ))
echo >&2
build_line="index build: $N photos in $((seconds / 1000)).$(( (seconds % 1000) / 100 )) s ($(( N * 1000 / (seconds > 0 ? seconds : 1) )) photos/s), daemon peak RSS $(peak_rss_mb) MiB"
echo "$build_line"
echo "warm query at $N vectors: $(latency)"
cpu=$(cpu_seconds)
echo "daemon CPU for the build and the warm queries: $cpu s ($(awk -v c="$cpu" -v n="$N" 'BEGIN { printf "%.1f", c * 1000 / n }') ms/photo)"
stop_daemon

step "adding synthetic vectors up to $LARGE"
start_daemon --bench-synthetic-vectors "$((LARGE - N))"
echo "warm query at $(status_field indexed) vectors: $(latency), daemon peak RSS $(peak_rss_mb) MiB"
stop_daemon
