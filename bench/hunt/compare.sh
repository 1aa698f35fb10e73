#!/usr/bin/env bash
# Two builds of ariadne on the same hunt, interleaved in one run: did a
# change move the time? Hypothesis: a change that is not about speed moves
# `hunt -j 1` and `-j 2` on the 520 MiB benchmark corpus (gen_corpus.py:
# OTRF background + SigmaHQ regression events, the whole SigmaHQ tree) by
# less than 5%. Scenario: the README's hunt row, with incidents, best of
# REPS runs each, alternating old and new so both meet the same machine
# load. Also checks that both find the same number of alerts and incidents.
#
#   bench/hunt/compare.sh OLD_ARIADNE NEW_ARIADNE      # SIZE_MB=520 REPS=5
#
# CHECK_COUNTS=0 reports differing counts instead of stopping (for a change
# meant to alter results, e.g. times corrected from the records' own clock,
# which moves incident boundaries).
set -euo pipefail
cd "$(dirname "$0")/../.."
old=$1
new=$2
SIZE_MB=${SIZE_MB:-520}
REPS=${REPS:-5}
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
trap '[ -z "${KEEP:-}" ] && rm -rf "$WORK"' EXIT
corpus=$WORK/corpus-$SIZE_MB.jsonl
[ -f "$corpus" ] || python3 bench/hunt/gen_corpus.py "$SIZE_MB" "$corpus"
T=../shared/data/sigma/rules-tree
RULES=(-r $T/rules -r $T/rules-emerging-threats -r $T/rules-threat-hunting -r $T/rules-placeholder)
export ARIADNE_CACHE_DIR=$WORK/cache
empty=$WORK/empty.jsonl
: > "$empty"
for bin in "$old" "$new"; do "$bin" hunt -q -f jsonl -o /dev/null "${RULES[@]}" "$empty"; done  # fill the caches

declare -A BEST
run() {  # run LABEL BIN ARGS...
  local label=$1 bin=$2 t0 t1 s
  shift 2
  cat "$corpus" > /dev/null
  t0=$(date +%s%N)
  "$bin" hunt -q -f jsonl "$@" "${RULES[@]}" "$corpus" > "$WORK/out.$label"
  t1=$(date +%s%N)
  s=$((t1 - t0))
  if [ -z "${BEST[$label]:-}" ] || [ "$s" -lt "${BEST[$label]}" ]; then BEST[$label]=$s; fi
}
for _ in $(seq "$REPS"); do
  for j in 1 2; do
    run "old_j$j" "$old" -j "$j"
    run "new_j$j" "$new" -j "$j"
  done
done
count() { grep -c "\"type\":\"$2\"" "$WORK/out.$1" || true; }
for kind in alert incident correlation; do
  a=$(count old_j1 "$kind")
  b=$(count new_j1 "$kind")
  if [ "$a" != "$b" ]; then
    echo "compare: $kind count differs: old $a, new $b" >&2
    [ "${CHECK_COUNTS:-1}" = 0 ] || exit 1
  fi
done
printf 'corpus %s MiB, %s alerts, %s incidents; best of %s, interleaved\n' "$SIZE_MB" "$(count new_j1 alert)" \
  "$(count new_j1 incident)" "$REPS"
for j in 1 2; do
  o=${BEST[old_j$j]}
  n=${BEST[new_j$j]}
  awk -v j="$j" -v o="$o" -v n="$n" 'BEGIN { printf "hunt -j %s: old %.3f s, new %.3f s, new/old %.3f\n", j, o / 1e9, n / 1e9, n / o }'
done
