#!/usr/bin/env bash
# Line numbers across segments (README.md).
set -euo pipefail
# A cache of this test's own, never the user's.
cache_dir=$(mktemp -d)
export ARIADNE_CACHE_DIR=$cache_dir
bin=$1
case_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$cache_dir"' EXIT
python3 - "$work/input.jsonl" "$work/want_alerts" "$work/want_bad" <<'PY'
import sys
out, want_alerts, want_bad = sys.argv[1:]
# Broken records only in the second MiB: the segments before and after it
# have none. Nine of them: hunt prints the first 10 warnings.
lines, alerts, bad = [], [], []
k = size = 0
while size < 3.5 * 1024 * 1024:
    k += 1
    n = len(lines) + 1
    if k % 301 == 0 and 1.1 * 1024 * 1024 < size < 1.9 * 1024 * 1024:
        lines.append('{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "CommandLine": ')
        bad.append(n)
    elif k % 613 == 0:
        lines.append('')
    else:
        cmd = 'cmd.exe /c segment-marker %d' % k if k % 89 == 0 else 'cmd.exe /c echo %d %s' % (k, 'x' * (k % 300))
        if k % 89 == 0:
            alerts.append(n)
        lines.append('{"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Computer": "host", '
                     '"UtcTime": "2024-01-01 00:00:00.000", "CommandLine": "%s"}%s' % (cmd, '\r' if k % 7 == 0 else ''))
    size += len(lines[-1]) + 1
open(out, 'w').write('\n'.join(lines) + '\n')
open(want_alerts, 'w').write(''.join('%d\n' % n for n in alerts))
open(want_bad, 'w').write(''.join('%d\n' % n for n in bad))
PY
status=0
for j in 1 2 3; do
  "$bin" hunt -q -j "$j" --no-incidents --rules "$case_dir/rule.yml" -f jsonl -o "$work/out.$j" "$work/input.jsonl" 2> "$work/err.$j"
  grep -o '"record":[0-9]*' "$work/out.$j" | cut -d: -f2 > "$work/got_alerts.$j"
  grep -o 'input.jsonl:[0-9]*' "$work/err.$j" | cut -d: -f2 > "$work/got_bad.$j"
  diff -u "$work/want_alerts" "$work/got_alerts.$j" > /dev/null || { echo "-j $j: alerts do not name their records' lines" >&2; diff -u "$work/want_alerts" "$work/got_alerts.$j" | head >&2; status=1; }
  diff -u "$work/want_bad" "$work/got_bad.$j" > /dev/null || { echo "-j $j: warnings do not name the broken lines" >&2; diff -u "$work/want_bad" "$work/got_bad.$j" | head >&2; status=1; }
  cmp -s "$work/out.1" "$work/out.$j" || { echo "-j $j: output differs from -j 1" >&2; status=1; }
done
# The same lines as a zip member (and a gzip file), read as they are
# decompressed: the same alerts, line numbers and warnings.
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED).write(sys.argv[2], "input.jsonl")' \
  "$work/input.zip" "$work/input.jsonl"
gzip -c "$work/input.jsonl" > "$work/input.jsonl.gz"
for packed in input.zip input.jsonl.gz; do
  for j in 1 2; do
    "$bin" hunt -q -j "$j" --no-incidents --rules "$case_dir/rule.yml" -f jsonl -o "$work/out.z$j" "$work/$packed" 2> "$work/err.z$j"
    grep -o '"record":[0-9]*' "$work/out.z$j" | cut -d: -f2 > "$work/got_alerts.z$j"
    grep -o 'input.jsonl[.gz]*:[0-9]*' "$work/err.z$j" | cut -d: -f2 > "$work/got_bad.z$j"
    cmp -s "$work/want_alerts" "$work/got_alerts.z$j" || { echo "$packed -j $j: alerts do not name their records' lines" >&2; status=1; }
    cmp -s "$work/want_bad" "$work/got_bad.z$j" || { echo "$packed -j $j: warnings do not name the broken lines" >&2; status=1; }
  done
done
nbad=$(wc -l < "$work/want_bad")
[[ $(wc -l < "$work/want_alerts") -gt 100 && $nbad -ge 8 && $nbad -le 10 ]] || { echo "generator made $nbad broken records, not 8-10" >&2; status=1; }
exit $status
