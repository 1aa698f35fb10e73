#!/usr/bin/env bash
# Golden test of `ariadne trace` on a real excerpt (README.md).
set -euo pipefail
bin=$1
case_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$case_dir"
"$bin" hunt -q --rules rules.yml --format jsonl -o "$work/out.jsonl" --case "$work/case.db" input.jsonl
# The LSASS alert and the incident holding it.
lsass=$(grep '"type":"alert"' "$work/out.jsonl" | grep -F 'lsass.exe' | cut -d\" -f8 | head -1)
incident=$(grep '"type":"incident"' "$work/out.jsonl" | grep -F "$lsass" | cut -d\" -f8 | head -1)
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
# An unknown id is an error with a message, not a crash.
if "$bin" trace "$work/case.db" ffffffffffff 2>/dev/null; then echo "unknown id accepted" >&2; status=1; fi
exit $status
