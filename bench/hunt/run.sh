#!/usr/bin/env bash
# Hunt benchmark: the whole SigmaHQ tree (rules, emerging threats, threat
# hunting, placeholder) over a JSON-lines corpus built from real events
# (gen_corpus.py), beside the simdjson parse-only baseline on the same file,
# in the same run. Reports seconds, events/s, MB/s, peak RSS, the ratio to
# the baseline, the two-thread speed-up, and rule load + compile time
# (without the on-disk cache, on all cores and on one; and from the cache:
# the rule-set snapshot and the compiled databases, which the hunts use, as
# any second run over the same rules does).
#
#   bench/hunt/run.sh                 # SIZE_MB=520, REPS=3
#   SIZE_MB=5200 REPS=1 bench/hunt/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/release}
SIZE_MB=${SIZE_MB:-520}
REPS=${REPS:-3}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
A=$BUILD/src/ariadne
B=$BUILD/bench/parse_baseline
[ -x "$A" ] && [ -x "$B" ] || { echo "build first: cmake --preset release && cmake --build build/release" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "missing /usr/bin/time (apt install time)" >&2; exit 1; }
trap '[ -z "${KEEP:-}" ] && rm -rf "$WORK"' EXIT
corpus=$WORK/corpus-$SIZE_MB.jsonl
[ -f "$corpus" ] || python3 bench/hunt/gen_corpus.py "$SIZE_MB" "$corpus"
bytes=$(stat -L -c %s "$corpus")
events=$(wc -l < "$corpus")
T=../shared/data/sigma/rules-tree
RULES=(-r $T/rules -r $T/rules-emerging-threats -r $T/rules-threat-hunting -r $T/rules-placeholder)
empty=$WORK/empty.jsonl
: > "$empty"

declare -A WALL RSS
run_once() {
  local label=$1; shift
  local t0 t1 r s
  cat "$corpus" > /dev/null  # same page-cache state for every tool
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$WORK/rss" "$@" > "$WORK/out.$label" 2> "$WORK/err.$label" || { cat "$WORK/err.$label" >&2; exit 1; }
  t1=$(date +%s%N)
  r=$(tail -1 "$WORK/rss"); s=$(( t1 - t0 ))
  if [ -z "${WALL[$label]:-}" ] || [ "$s" -lt "${WALL[$label]}" ]; then WALL[$label]=$s; fi
  if [ -z "${RSS[$label]:-}" ] || [ "$r" -gt "${RSS[$label]}" ]; then RSS[$label]=$r; fi
}
# Fill the cache (rule-set snapshot, compiled databases) as any earlier run
# over the same rules would have.
"$A" hunt -q -f jsonl -o /dev/null "${RULES[@]}" "$empty"
for _ in $(seq "$REPS"); do
  run_once baseline "$B" "$corpus"
  run_once load_cold env ARIADNE_CACHE_DIR=off "$A" hunt -q -f jsonl -o /dev/null "${RULES[@]}" "$empty"
  run_once load_cold_j1 env ARIADNE_CACHE_DIR=off "$A" hunt -q -j 1 -f jsonl -o /dev/null "${RULES[@]}" "$empty"
  run_once load "$A" hunt -q -j 1 -f jsonl -o /dev/null "${RULES[@]}" "$empty"
  run_once load_all "$A" hunt -q -f jsonl -o /dev/null "${RULES[@]}" "$empty"
  run_once hunt_j1 "$A" hunt -q -j 1 -f jsonl -o "$WORK/alerts.j1" "${RULES[@]}" "$corpus"
  run_once hunt_j2 "$A" hunt -q -j 2 -f jsonl -o "$WORK/alerts.j2" "${RULES[@]}" "$corpus"
  run_once noinc_j1 "$A" hunt -q -j 1 -f jsonl --no-incidents -o "$WORK/alerts.n1" "${RULES[@]}" "$corpus"
  run_once noinc_j2 "$A" hunt -q -j 2 -f jsonl --no-incidents -o "$WORK/alerts.n2" "${RULES[@]}" "$corpus"
done
cmp -s "$WORK/alerts.j1" "$WORK/alerts.j2" || { echo "1 and 2 threads gave different output" >&2; exit 1; }
cmp -s "$WORK/alerts.n1" "$WORK/alerts.n2" || { echo "1 and 2 threads gave different output (--no-incidents)" >&2; exit 1; }
alerts=$(grep -c '"type":"alert"' "$WORK/alerts.j1")
incidents=$(grep -c '"type":"incident"' "$WORK/alerts.j1" || true)
echo "Hunt benchmark: $events events, $(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB JSON lines, whole SigmaHQ tree; best of $REPS"
echo "machine: $(nproc) cores, $(uname -m); $(date -u +%Y-%m-%d)"
echo
echo "| run | seconds | events/s | MB/s | peak RSS MiB | vs parse-only |"
echo "|---|---|---|---|---|---|"
for t in baseline load_cold load_cold_j1 load load_all hunt_j1 hunt_j2 noinc_j1 noinc_j2; do
  awk -v ns="${WALL[$t]}" -v base="${WALL[baseline]}" -v kb="${RSS[$t]}" -v n="$events" -v b="$bytes" -v t="$t" 'BEGIN {
    s = ns / 1e9
    if (t == "load_cold") { printf "| rule load + compile, no cache, all cores (empty input) | %.3f | - | - | %.0f | - |\n", s, kb / 1024; exit }
    if (t == "load_cold_j1") { printf "| rule load + compile, no cache, -j 1 (empty input) | %.3f | - | - | %.0f | - |\n", s, kb / 1024; exit }
    if (t == "load") { printf "| rule load from the cache: rule-set snapshot, compiled databases (empty input, -j 1) | %.3f | - | - | %.0f | - |\n", s, kb / 1024; exit }
    if (t == "load_all") { printf "| rule load from the cache, all cores (the index read back while the rules are restored) | %.3f | - | - | %.0f | - |\n", s, kb / 1024; exit }
    name = (t == "baseline") ? "simdjson parse-only baseline" : (t == "hunt_j1") ? "ariadne hunt -j 1" : (t == "hunt_j2") ? "ariadne hunt -j 2" : (t == "noinc_j1") ? "ariadne hunt -j 1 --no-incidents" : "ariadne hunt -j 2 --no-incidents"
    printf "| %s | %.3f | %.0f | %.0f | %.0f | %.2fx |\n", name, s, n / s, b / 1e6 / s, kb / 1024, ns / base }'
done
echo
awk -v a="${WALL[hunt_j1]}" -v b="${WALL[hunt_j2]}" -v l="${WALL[load]}" -v base="${WALL[baseline]}" -v na="${WALL[noinc_j1]}" -v nb="${WALL[noinc_j2]}" 'BEGIN {
  printf "two threads: %.2fx one thread (%.2fx with --no-incidents); one thread without rule loading: %.2fx the baseline (%.2fx with --no-incidents)\n", a / b, na / nb, (a - l) / base, (na - l) / base }'
echo "alerts: $alerts, incidents: $incidents (output identical with 1 and 2 threads)"
