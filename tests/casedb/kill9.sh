#!/usr/bin/env bash
# The case database survives kill -9 during a hunt, and hunting the same
# input again adds no duplicate alerts.
#
#   tests/casedb/kill9.sh ARIADNE SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ARIADNE_CACHE_DIR=$work/cache  # never the user's cache
db=$work/case.db
# Every failed logon is an alert (generate: true), so the run writes many batches.
sed 's/^  condition:$/  generate: true\n  condition:/' "$src/bench/correlate/failed_logons.yml" > "$work/rules.yml"
grep -q "generate: true" "$work/rules.yml"
rules=(--rules "$work/rules.yml" --no-prefilter)

# 1. Start a hunt and kill it hard once the database has some alerts. On a
# machine fast enough to finish first, again on twice the events (Security
# events with bursts of failed logons, deterministic).
killed=0
for events in 300000 600000 1200000 2400000; do
  rm -f "$db" "$db-wal" "$db-shm"
  python3 "$src/bench/correlate/gen_security.py" "$events" "$work/events.jsonl"
  "$bin" hunt -q -f jsonl -o /dev/null --case "$db" "${rules[@]}" "$work/events.jsonl" &
  pid=$!
  for _ in $(seq 400); do
    n=$(sqlite3 "$db" "SELECT count(*) FROM alerts" 2>/dev/null || echo 0)
    [ "${n:-0}" -gt 0 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null || true
    killed=1
    break
  fi
  wait "$pid" 2>/dev/null || true
  echo "the hunt of $events events ended before it could be killed; trying twice as many" >&2
done
[ "$killed" = 1 ] || { echo "no hunt could be killed while under way" >&2; exit 1; }

# 2. The file is consistent and usable; the run is left "running".
[ "$(sqlite3 "$db" "PRAGMA integrity_check")" = ok ]
partial=$(sqlite3 "$db" "SELECT count(*) FROM alerts")
status=$(sqlite3 "$db" "SELECT status FROM runs WHERE id = 1")
echo "after kill -9: $partial alerts kept, run 1 $status"
[ "$status" = running ]
[ "$partial" -gt 0 ]

# 3. Run to completion: the remaining alerts are added, none twice.
"$bin" hunt -q -f jsonl -o "$work/full.jsonl" --case "$db" "${rules[@]}" "$work/events.jsonl"
total=$(sqlite3 "$db" "SELECT count(*) FROM alerts")
expected=$(grep -c '"type":"alert"' "$work/full.jsonl")
corr=$(sqlite3 "$db" "SELECT count(*) FROM correlations")
expected_corr=$(grep -c '"type":"correlation"' "$work/full.jsonl")
echo "after a full run: $total alerts (output has $expected), $corr correlations (output has $expected_corr)"
[ "$total" -eq "$expected" ]
[ "$corr" -eq "$expected_corr" ]
[ "$(sqlite3 "$db" "SELECT status FROM runs WHERE id = 2")" = done ]

# 4. Once more: nothing new.
"$bin" hunt -q -f jsonl -o /dev/null --case "$db" "${rules[@]}" "$work/events.jsonl"
[ "$(sqlite3 "$db" "SELECT count(*) FROM alerts")" -eq "$total" ]
[ "$(sqlite3 "$db" "SELECT new_alerts FROM runs WHERE id = 3")" -eq 0 ]
[ "$(sqlite3 "$db" "SELECT count(*) FROM correlation_members m LEFT JOIN alerts a ON a.id = m.member_id WHERE a.id IS NULL")" -eq 0 ]
echo "third run: 0 new alerts; every correlation member is a stored alert"
