#!/usr/bin/env bash
# Daemon benchmarks: index build time for N photos (the COCO photos linked
# many times under different names), warm end-to-end query latency (photoq
# process start to last byte) at N and at each size in LARGE (synthetic
# vectors, with features as real photos have, in an index of their own),
# start-up time at each LARGE size, the daemon's peak memory and the index's
# bytes on disk per photo. Ends with one JSON line (keys of the maps are
# numbers of photos).
#
#   tools/daemon/bench.sh                              # N=10000, LARGE=100000
#   N=1000 LARGE="100000 1000000" tools/daemon/bench.sh
#   BENCH_CACHE=~/.cache/photoq-bench N=1000 LARGE=1000000 tools/daemon/bench.sh
#       # keeps the synthetic indexes there: later runs skip building them
#   BACKBONE=1 tools/daemon/bench.sh                   # also `photoq-model bench backbone`
#       # on the same photos (2 threads, no ONNX Runtime), for bench_photos_per_s
#   PHOTOQD_FLAGS=--thumbnails N=300 tools/daemon/bench.sh   # extra photoqd flags for the index build
#   SETTLE=10: seconds to wait after a LARGE start before timing queries (the
#   writer reads every record once at start-up)
# Needs release binaries (scripts/build, or PHOTOQ_BIN_DIR) and installed models.
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
N="${N:-10000}"
LARGE="${LARGE:-100000}"
QUERIES="${QUERIES:-30}"
BIN="${PHOTOQ_BIN_DIR:-$REPO/.build/release}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/photoq-bench.XXXXXX")"
CACHE="${BENCH_CACHE:-$WORK/synthetic}"
SOCKET="$WORK/photoq.sock"
daemon=""
cleanup() { [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

now_ns() { date +%s%N; }
json_field() { "$PHOTOQ_PYTHON" -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# start_daemon ROOT STATE [flags…]: returns once the socket answers.
start_daemon() {
  local root="$1" state="$2"
  shift 2
  "$BIN/photoqd" --root "$root" --db "$state" --socket "$SOCKET" "$@" 2>>"$WORK/photoqd.log" &
  daemon=$!
  until "$BIN/photoq" --socket "$SOCKET" --status >/dev/null 2>&1; do
    kill -0 "$daemon" 2>/dev/null || { cat "$WORK/photoqd.log" >&2; exit 1; }
    sleep 0.02
  done
}

stop_daemon() { kill "$daemon"; wait "$daemon" || true; daemon=""; }

# User + system CPU seconds the daemon has used so far (less sensitive to a
# busy machine than wall time).
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$daemon/stat"; }

peak_rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$daemon/status"; }
# Now, split into the daemon's own memory and the index pages it has mapped.
rss_now() { awk '/RssAnon/ { a = $2 } /RssFile/ { f = $2 } END { printf "anonymous %.0f MiB, mapped files %.0f MiB", a / 1024, f / 1024 }' "/proc/$daemon/status"; }

# Warm latency of QUERIES photoq runs: prints the median and 95th percentile
# in ms, and the daemon's CPU ms per query (which a busy machine inflates less).
latency() {
  local queries=("dog on a beach" "a giraffe near trees" "pizza on a plate" "people skiing" "a red bus")
  "$BIN/photoq" --socket "$SOCKET" -n 10 "warm up" >/dev/null || true
  local cpu0; cpu0=$(cpu_seconds)
  local samples=()
  for i in $(seq 1 "$QUERIES"); do
    local q="${queries[$((i % ${#queries[@]}))]}"
    local t0; t0=$(now_ns)
    "$BIN/photoq" --socket "$SOCKET" -n 10 "$q" >/dev/null
    samples+=($(( ($(now_ns) - t0) / 1000 )))
  done
  local cpu_ms; cpu_ms=$(awk -v a="$cpu0" -v b="$(cpu_seconds)" -v n="$QUERIES" 'BEGIN { printf "%.1f", (b - a) * 1000 / n }')
  printf '%s\n' "${samples[@]}" | sort -n | awk -v cpu="$cpu_ms" '{ a[NR] = $1 } END { printf "%.1f %.1f %s\n", a[int(NR/2)+1]/1000, a[int(NR*0.95)]/1000, cpu }'
}

declare -A query_ms rss_mib startup_s

step "library of $N photo files in $WORK/library"
mkdir -p "$WORK/library" "$WORK/empty"
mapfile -t coco < <(ls "$PHOTOQ_DATA_DIR"/coco-val2017/images/*.jpg)
for i in $(seq 0 $((N - 1))); do
  dir="$WORK/library/$((i / 1000))"
  [ -d "$dir" ] || mkdir -p "$dir"
  ln "${coco[$((i % ${#coco[@]}))]}" "$dir/photo-$i.jpg" 2>/dev/null || cp "${coco[$((i % ${#coco[@]}))]}" "$dir/photo-$i.jpg"
done

step "index build: $N photos"
t0=$(now_ns)
# shellcheck disable=SC2086 # PHOTOQD_FLAGS holds several words
start_daemon "$WORK/library" "$WORK/state" ${PHOTOQD_FLAGS:-}
while :; do
  read -r indexed pending failed < <("$BIN/photoq" --socket "$SOCKET" --status --json | "$PHOTOQ_PYTHON" -c \
    'import json,sys; s=json.load(sys.stdin); print(s["indexed"], s["pending"], s["failed"])')
  printf '\r  %d/%d indexed, %d pending, %d failed ' "$indexed" "$N" "$pending" "$failed" >&2
  [ $((indexed + failed)) -ge "$N" ] && [ "$pending" -eq 0 ] && break
  sleep 0.5
done
ms=$(( ($(now_ns) - t0) / 1000000 ))
echo >&2
ingest=$(awk -v n="$N" -v ms="$ms" 'BEGIN { printf "%.1f", n * 1000 / (ms > 0 ? ms : 1) }')
echo "index build: $N photos in $((ms / 1000)).$(( (ms % 1000) / 100 )) s ($ingest photos/s), daemon peak RSS $(peak_rss_mb) MiB"
read -r median p95 cpu_ms < <(latency)
query_ms[$N]=$median
echo "warm query at $N photos: median $median ms, p95 $p95 ms, daemon CPU $cpu_ms ms/query"
cpu=$(cpu_seconds)
echo "daemon CPU for the build and the warm queries: $cpu s ($(awk -v c="$cpu" -v n="$N" 'BEGIN { printf "%.1f", c * 1000 / n }') ms/photo)"
rss_mib[$N]=$(peak_rss_mb)
stop_daemon

backbone=null
if [ "${BACKBONE:-0}" = 1 ]; then
  step "photoq-model bench backbone on the same photos (2 threads)"
  backbone=$("$BIN/photoq-model" bench backbone --images "$PHOTOQ_DATA_DIR/coco-val2017/images" --threads 2 --skip-onnx --json \
    | json_field "['end_to_end'][-1]['photos_per_second']")
  echo "bench backbone: $backbone photos/s end to end"
fi

for large in $LARGE; do
  state="$CACHE/synthetic-$large"
  if [ ! -f "$state/data.mdb" ] || [ "$(cat "$state/complete" 2>/dev/null)" != "$large" ]; then
    step "building a synthetic index of $large vectors in $state"
    mkdir -p "$CACHE"
    t0=$(now_ns)
    start_daemon "$WORK/empty" "$state" --bench-synthetic-vectors "$large"
    stop_daemon
    echo "$large" > "$state/complete"
    echo "synthetic index of $large built in $(( ($(now_ns) - t0) / 1000000000 )) s" >&2
  fi
  step "$large photos: start-up, warm queries, memory"
  t0=$(now_ns)
  start_daemon "$WORK/empty" "$state" --log-level info
  ms=$(( ($(now_ns) - t0) / 1000000 ))
  startup_cpu=$(cpu_seconds)
  startup_s[$large]=$(awk -v ms="$ms" 'BEGIN { printf "%.2f", ms / 1000 }')
  indexed=$("$BIN/photoq" --socket "$SOCKET" --status --json | json_field "['indexed']")
  load=$(grep -o 'load.seconds=[0-9.]*' "$WORK/photoqd.log" | tail -1 | cut -d= -f2 || true)
  load_cpu=$(grep -o 'load.cpu_seconds=[0-9.]*' "$WORK/photoqd.log" | tail -1 | cut -d= -f2 || true)
  # Let the writer's start-up pass over the records finish before timing queries.
  sleep "${SETTLE:-10}"
  read -r median p95 cpu_ms < <(latency)
  query_ms[$large]=$median
  rss_mib[$large]=$(peak_rss_mb)
  # The search rows live in data.mdb too (their own table), so this counts them.
  bytes=$(stat -c %s "$state/data.mdb")
  echo "start-up at $indexed photos: ${startup_s[$large]} s to answering (index load ${load:-?} s, ${load_cpu:-?} s CPU; daemon CPU $startup_cpu s, models included)"
  echo "warm query at $indexed photos: median $median ms, p95 $p95 ms, daemon CPU $cpu_ms ms/query"
  echo "daemon peak RSS at $indexed photos: ${rss_mib[$large]} MiB (now $(rss_now))"
  echo "index on disk: $((bytes >> 20)) MiB, $((bytes / indexed)) bytes per photo"
  stop_daemon
done

map() {
  local -n values=$1
  local out="" key
  for key in $(printf '%s\n' "${!values[@]}" | sort -n); do out+="${out:+,}\"$key\":${values[$key]}"; done
  printf '{%s}' "$out"
}
echo "{\"version\":1,\"ingest_photos_per_s\":$ingest,\"bench_photos_per_s\":$backbone,\"query_ms_median\":$(map query_ms),\"rss_mib\":$(map rss_mib),\"startup_s\":$(map startup_s)}"
