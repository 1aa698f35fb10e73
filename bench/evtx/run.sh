#!/usr/bin/env bash
# EVTX reader benchmark: ariadne beside evtxexport (Debian libevtx-utils) on
# the same files in the same run.
#
#   bench/evtx/run.sh            # REPS=3 by default; BIG_MB=1024 for the memory run
#
# 1. Every EVTX file under ../shared/data/attacks (MANIFEST.tsv, format evtx):
#    evtxexport -f xml (one process per file: it takes one file), then
#    `ariadne dump` to JSON lines and to XML with 1 and 2 threads. Runs are
#    interleaved; wall time is the best of REPS runs; peak RSS is the largest
#    seen (GNU time).
# 2. In process (bench_evtx, Google Benchmark): EVTX -> JSON lines and
#    EVTX -> events (the fields hunt matches on), 1 and 2 threads.
# 3. Memory bound: one synthetic file of BIG_MB MiB made of the corpus' chunks
#    (written under $TMPDIR, removed afterwards), dumped with 1 and 2 threads.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/release}
REPS=${REPS:-3}
BIG_MB=${BIG_MB:-1024}
DATA=../shared/data/attacks
A=$BUILD/src/ariadne

for tool in evtxexport /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt install libevtx-utils time python3)" >&2; exit 1; }
done
[ -x "$A" ] && [ -x "$BUILD/bench/bench_evtx" ] || { echo "build first: cmake --preset release && cmake --build build/release" >&2; exit 1; }
[ -f "$DATA/MANIFEST.tsv" ] || { echo "$DATA not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk -F'\t' 'NR > 1 && $5 == "evtx" { print $1 }' "$DATA/MANIFEST.tsv" | while IFS= read -r p; do printf '%s\0' "$DATA/$p"; done > "$work/files"
nfiles=$(tr -cd '\0' < "$work/files" | wc -c)
bytes=$(xargs -0 stat -c %s < "$work/files" | awk '{ s += $1 } END { print s }')
records=$(awk -F'\t' 'NR > 1 && $5 == "evtx" { s += $6 } END { print s }' "$DATA/MANIFEST.tsv")
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')

# run_once LABEL CMD... : one timed run; keeps the best wall time (ns) and the
# largest peak RSS (KiB) per label. Configurations are interleaved rep by rep
# (see the loops below), so drift on a shared machine hits them alike.
declare -A WALL RSS
run_once() {
  local label=$1; shift
  local t0 t1 r s
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$work/rss" "$@" > /dev/null 2> "$work/err" || { cat "$work/err" >&2; exit 1; }
  t1=$(date +%s%N)
  r=$(tail -1 "$work/rss")
  s=$(( t1 - t0 ))
  if [ -z "${WALL[$label]:-}" ] || [ "$s" -lt "${WALL[$label]}" ]; then WALL[$label]=$s; fi
  if [ -z "${RSS[$label]:-}" ] || [ "$r" -gt "${RSS[$label]}" ]; then RSS[$label]=$r; fi
}

row() {  # label, records in output
  local label=$1 recs=$2 base=${3:-}
  awk -v ns="${WALL[$label]}" -v kb="${RSS[$label]}" -v b="$bytes" -v n="$recs" -v l="$label" \
      -v base="${base:+${WALL[$base]}}" 'BEGIN {
    s = ns / 1e9; ratio = (base != "") ? sprintf("%.1fx", base / ns) : "";
    printf "| %-34s | %7.3f | %8.1f | %10.0f | %7.1f | %s |\n", l, s, b / 1048576 / s, n / s, kb / 1024, ratio }'
}

echo "EVTX corpus: $nfiles files, $mib MiB, $records records (libevtx count, MANIFEST.tsv); best of $REPS runs"
echo "machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d)"
echo

# Our record count on the same files (must be >= libevtx's).
ours=$(xargs -0 "$A" dump -q -j2 < "$work/files" | wc -l)
theirs=$(xargs -0 -n1 evtxexport -f xml < "$work/files" 2>/dev/null | grep -c '^<Event[ >]' || true)

for _ in $(seq "$REPS"); do
  run_once "evtxexport -f xml (per file)" bash -c 'xargs -0 -n1 evtxexport -f xml < "$1" 2>/dev/null; true' _ "$work/files"
  run_once "ariadne dump jsonl -j1" bash -c 'xargs -0 "$0" dump -q -j1 < "$1"' "$A" "$work/files"
  run_once "ariadne dump jsonl -j2" bash -c 'xargs -0 "$0" dump -q -j2 < "$1"' "$A" "$work/files"
  run_once "ariadne dump xml -j1" bash -c 'xargs -0 "$0" dump -q -j1 -f xml < "$1"' "$A" "$work/files"
  run_once "ariadne dump xml -j2" bash -c 'xargs -0 "$0" dump -q -j2 -f xml < "$1"' "$A" "$work/files"
done

echo "| run | seconds | MiB/s | records/s | peak RSS MiB | speed-up |"
echo "|---|---|---|---|---|---|"
row "evtxexport -f xml (per file)" "$theirs"
row "ariadne dump jsonl -j1" "$ours" "evtxexport -f xml (per file)"
row "ariadne dump jsonl -j2" "$ours" "ariadne dump jsonl -j1"
row "ariadne dump xml -j1" "$ours" "evtxexport -f xml (per file)"
row "ariadne dump xml -j2" "$ours" "ariadne dump xml -j1"
echo
echo "records: ariadne $ours, evtxexport $theirs (it fails on some files it cannot read)"
echo "speed-up: jsonl/xml -j1 against evtxexport; -j2 against the same format at -j1"
echo

echo "In process (Google Benchmark, bench_evtx, repetitions randomly interleaved; median and best of 7;"
echo "bytes/s counts input file bytes; on the best row, the rates are the worst repetition's):"
"$BUILD/bench/bench_evtx" --benchmark_enable_random_interleaving=true --benchmark_format=console 2>/dev/null |
  grep -E "^BM_.*(_median|_min) |^Benchmark"
echo

# Memory bound on one large file.
python3 - "$work/big.evtx" "$BIG_MB" "$work/files" <<'EOF'
import sys
out, mb, lst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
paths = [p for p in open(lst, 'rb').read().split(b'\0') if p]
chunks, header = [], None
for p in paths:
    d = open(p, 'rb').read()
    header = header or d[:4096]
    for k in range((len(d) - 4096) // 65536):
        c = d[4096 + k * 65536: 4096 + (k + 1) * 65536]
        if c[:8] == b'ElfChnk\0':
            chunks.append(c)
with open(out, 'wb') as f:
    f.write(header)
    written, i = 0, 0
    while written < mb << 20:
        f.write(chunks[i % len(chunks)])
        written += 65536
        i += 1
EOF
big_bytes=$(stat -c %s "$work/big.evtx")
big_records=$("$A" dump -q -j2 "$work/big.evtx" | wc -l)
bytes_saved=$bytes
bytes=$big_bytes
for _ in $(seq "$REPS"); do
  run_once "big file: ariadne dump jsonl -j1" "$A" dump -q -j1 "$work/big.evtx"
  run_once "big file: ariadne dump jsonl -j2" "$A" dump -q -j2 "$work/big.evtx"
done
echo "Memory bound: one $(awk -v b="$big_bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB file of the corpus' chunks, $big_records records"
echo
echo "| run | seconds | MiB/s | records/s | peak RSS MiB | speed-up |"
echo "|---|---|---|---|---|---|"
row "big file: ariadne dump jsonl -j1" "$big_records"
row "big file: ariadne dump jsonl -j2" "$big_records" "big file: ariadne dump jsonl -j1"
bytes=$bytes_saved
