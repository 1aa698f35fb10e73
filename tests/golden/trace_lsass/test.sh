#!/usr/bin/env bash
# Golden test of `ariadne trace` on a real excerpt (README.md).
set -euo pipefail
# A cache of this test's own, never the user's.
cache_dir=$(mktemp -d)
export ARIADNE_CACHE_DIR=$cache_dir
bin=$1
case_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$cache_dir"' EXIT
cd "$case_dir"
"$bin" hunt -q --rules rules.yml --format jsonl -o "$work/out.jsonl" --case "$work/case.db" input.jsonl
# The LSASS alert and the incident holding it.
# awk reads the file itself: no pipe whose writer a quitting reader kills (pipefail).
lsass=$(awk -F'"' '/"type":"alert"/ && index($0, "lsass.exe") { print $8; exit }' "$work/out.jsonl")
incident=$(awk -F'"' -v a="$lsass" '/"type":"incident"/ && index($0, a) { print $8; exit }' "$work/out.jsonl")
[[ -n "$lsass" && -n "$incident" ]] || { echo "no LSASS alert or incident in the output" >&2; exit 1; }
"$bin" trace "$work/case.db" "$lsass" --no-color > "$work/alert.txt"
"$bin" trace "$work/case.db" "${lsass:0:10}" --format json > "$work/alert.json"
"$bin" trace "$work/case.db" "$incident" --forward --no-color > "$work/incident.txt"
"$bin" trace "$work/case.db" "$incident" --format dot > "$work/incident.dot"
grep '"type":"incident"' "$work/out.jsonl" > "$work/incidents.jsonl"
status=0
for f in alert.txt alert.json incident.txt incident.dot incidents.jsonl; do
  if [[ "${ARIADNE_UPDATE_GOLDEN:-}" == 1 ]]; then
    cp "$work/$f" "expected.$f"
  else
    diff -u "expected.$f" "$work/$f" || status=1
  fi
done
# A version 1 database (no graph tables) is migrated when a hunt opens it.
if command -v sqlite3 >/dev/null; then
  "$bin" hunt -q --no-incidents --rules rules.yml -o /dev/null --case "$work/old.db" input.jsonl
  sqlite3 "$work/old.db" "DROP TABLE incident_alerts; DROP TABLE incidents; DROP TABLE alert_entities; DROP TABLE edges;
    DROP TABLE entities; UPDATE meta SET value='1' WHERE key='schema_version';"
  "$bin" hunt -q --rules rules.yml -o /dev/null --case "$work/old.db" input.jsonl
  [[ $(sqlite3 "$work/old.db" "SELECT value FROM meta WHERE key='schema_version'") == 4 ]] || { echo "not migrated" >&2; status=1; }
  "$bin" trace "$work/old.db" "$lsass" --no-color | cmp -s - "$work/alert.txt" || { echo "trace after migration differs" >&2; status=1; }
  # A version 3 database (no edge ports, no narratives) gains them.
  cp "$work/case.db" "$work/v3.db"
  sqlite3 "$work/v3.db" "ALTER TABLE incidents DROP COLUMN narrative; ALTER TABLE incidents DROP COLUMN narrative_long;
    ALTER TABLE edges DROP COLUMN port; UPDATE meta SET value='3' WHERE key='schema_version';"
  "$bin" incidents "$work/v3.db" show "$incident" --no-color > /dev/null 2>&1 && { echo "a version 3 database was read as 4" >&2; status=1; }
  "$bin" hunt -q --rules rules.yml -o /dev/null --case "$work/v3.db" input.jsonl
  [[ $(sqlite3 "$work/v3.db" "SELECT value FROM meta WHERE key='schema_version'") == 4 ]] || { echo "version 3 not migrated" >&2; status=1; }
  story=$("$bin" incidents "$work/v3.db" show "$incident" --no-color)
  [[ $story == *"Story"*"ran winx64_payload.exe at 2023-08-16 04:54:30 UTC"* ]] || { echo "no story after migration: $story" >&2; status=1; }
  sqlite3 "$work/old.db" "UPDATE meta SET value='9' WHERE key='schema_version'"
  if "$bin" trace "$work/old.db" "$lsass" 2>/dev/null; then echo "a newer schema was accepted" >&2; status=1; fi
fi
# An unknown id is an error with a message, not a crash.
if "$bin" trace "$work/case.db" ffffffffffff 2>/dev/null; then echo "unknown id accepted" >&2; status=1; fi
exit $status
