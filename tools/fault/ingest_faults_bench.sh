#!/usr/bin/env bash
# Ingest under hostile input, with the release photoqd:
#   1. peak RSS (VmHWM) while ingesting the bomb set (tools/fault/ingest_bombs.py)
#      plus normal photos, and how long until everything is accounted for;
#   2. how many bit-flipped COCO copies (tools/fault/ingest_bitflips.py) are
#      refused, by failure class;
#   3. (root only) a 1 MiB tmpfs under --db: photos held while the disk is
#      full, then the time from growing it to every photo indexed.
#
#   tools/fault/ingest_faults_bench.sh
#   PHOTOQ_BIN_DIR=/other/build/release STEPS=2 FLIPS=350 tools/fault/ingest_faults_bench.sh
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
BIN="${PHOTOQ_BIN_DIR:-$REPO/.build/release}"
FLIPS="${FLIPS:-350}"
COPIES="${COPIES:-5}"
STEPS="${STEPS:-1 2 3}"   # which of the three to run
runs() { [[ " $STEPS " == *" $1 "* ]]; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/photoq-faults.XXXXXX")"
SOCKET="$WORK/photoq.sock"
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  mountpoint -q "$WORK/state" 2>/dev/null && umount -l "$WORK/state"
  rm -rf "$WORK"
}
trap cleanup EXIT

status_json() { "$BIN/photoq" --socket "$SOCKET" --status --json 2>/dev/null; }
field() { status_json | "$PHOTOQ_PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(d.get('$1'))"; }

start_daemon() {
  rm -f "$SOCKET"
  "$BIN/photoqd" --root "$WORK/library" --db "$WORK/state" --socket "$SOCKET" --threads 2 --batch-size 8 \
    2>>"$WORK/photoqd.log" &
  daemon=$!
  until "$BIN/photoq" --socket "$SOCKET" --status >/dev/null 2>&1; do
    kill -0 "$daemon" 2>/dev/null || { cat "$WORK/photoqd.log" >&2; exit 1; }
    sleep 0.1
  done
}
stop_daemon() { kill "$daemon"; wait "$daemon" || true; daemon=""; }
wait_settled() { # $1 = photos expected (indexed + failed)
  until [ "$(status_json | "$PHOTOQ_PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(int(d['pending']==0 and d['watcher']=='watching' and d['indexed']+d['failed']>=$1))")" = 1 ]; do
    kill -0 "$daemon" 2>/dev/null || { tail -20 "$WORK/photoqd.log" >&2; exit 1; }
    sleep 0.1
  done
}
summary() { status_json | "$PHOTOQ_PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(f\"indexed {d['indexed']}, failed {d['failed']}\", d.get('failed_by_reason') or '')"; }

if runs 1; then
step "1. bomb set: $COPIES each of 5 kinds + a 1.5 GB sparse file + 10 photos"
"$PHOTOQ_PYTHON" "$REPO/tools/fault/ingest_bombs.py" "$WORK/library/bombs" --copies "$COPIES" \
  --photos "$PHOTOQ_DATA_DIR/coco-val2017/images" --photo-count 10 >/dev/null
t0=$(date +%s%N)
start_daemon
wait_settled $((COPIES * 5 + 1 + 10))
t1=$(date +%s%N)
echo "bomb set: $(summary)"
echo "bomb set: all accounted for in $(( (t1 - t0) / 1000000 )) ms; photoqd peak RSS (VmHWM) $(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' /proc/$daemon/status) MiB"
t0=$(date +%s%N); stop_daemon; t1=$(date +%s%N)
echo "bomb set: SIGTERM to exit $(( (t1 - t0) / 1000000 )) ms"
rm -rf "$WORK/library" "$WORK/state"
fi

if runs 2; then
step "2. $FLIPS bit-flipped COCO copies"
"$PHOTOQ_PYTHON" "$REPO/tools/fault/ingest_bitflips.py" "$PHOTOQ_DATA_DIR/coco-val2017/images" "$WORK/library/flips" \
  --count "$FLIPS" >/dev/null
start_daemon
wait_settled "$FLIPS"
echo "bit flips: $(summary)"
stop_daemon
rm -rf "$WORK/library" "$WORK/state"
fi

runs 3 || exit 0
if [ "$(id -u)" -ne 0 ]; then echo "3. full disk: skipped (needs root to mount a tmpfs)"; exit 0; fi
step "3. 400 photos, --db on a 1 MiB tmpfs"
mkdir -p "$WORK/state" "$WORK/library"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$WORK/state"
coco=("$PHOTOQ_DATA_DIR"/coco-val2017/images/*.jpg)
for d in a b c d; do mkdir -p "$WORK/library/$d"; cp -t "$WORK/library/$d" "${coco[@]:0:100}"; done
start_daemon
until [ "$(field indexing_paused)" != None ]; do sleep 0.2; done
until [ "$(status_json | "$PHOTOQ_PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(int(d['indexed']+d['pending']==400 and d['watcher']=='watching'))")" = 1 ]; do sleep 0.2; done
echo "full disk: $(summary), pending $(field pending), paused: $(field indexing_paused)"
sleep 2
before=$(field indexed)
mount -o remount,size=64m "$WORK/state"
t0=$(date +%s%N)
until [ "$(field indexed)" -gt "$before" ]; do sleep 0.05; done
t1=$(date +%s%N)
wait_settled 400
t2=$(date +%s%N)
echo "full disk: held batch committed $(( (t1 - t0) / 1000000 )) ms after the file system grew"
echo "full disk: $(summary) $(( (t2 - t0) / 1000000 )) ms after it grew (the rest embedded then); 'indexing paused' logged $(grep -c 'indexing paused' "$WORK/photoqd.log") time(s)"
stop_daemon
