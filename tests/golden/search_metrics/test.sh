#!/usr/bin/env bash
# `ariadne search` and `ariadne metrics` (issue 21, point 9) on the DeepBlueCLI
# EVTX files, checked against each other and against `dump`:
#   - FIELD=VALUE finds exactly the events metrics counts for that event id;
#   - keyword and regex results hold the text; -j 1 and -j 2 agree;
#   - metrics counts every record dump reads, and the brute force's failed
#     logons by user, source and type; bad queries are usage errors.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../support/script_lib.sh"
need_shared "$shared/attacks/deepbluecli"
dbc=$shared/attacks/deepbluecli
"$bin" metrics -f json -o "$work/metrics.json" "$dbc"
"$bin" metrics "$dbc" > "$work/metrics.txt"
"$bin" dump "$dbc" 2>/dev/null > "$work/dump.jsonl"
"$bin" search -q -F EventID=4625 -f jsonl "$dbc" > "$work/4625.jsonl"
"$bin" search -q -k MimiKatz -f jsonl -j 1 "$dbc" > "$work/kw1.jsonl"
"$bin" search -q -k MimiKatz -f jsonl -j 2 "$dbc" > "$work/kw2.jsonl"
"$bin" search -q -e 'lsass\.(exe|dmp)' -f jsonl "$dbc" > "$work/re.jsonl"
"$bin" search -q -F 'CommandLine|contains=-enc' -F 'EventID=4688' "$dbc" > "$work/enc.txt"
cmp -s "$work/kw1.jsonl" "$work/kw2.jsonl" || fail "-j 1 and -j 2 differ"
python3 - "$work" <<'PY' || fail "search and metrics disagree"
import json, re, sys
w = sys.argv[1]
m = json.load(open(f"{w}/metrics.json"))
records = sum(1 for _ in open(f"{w}/dump.jsonl"))
assert m["events"] == records == 7155, (m["events"], records)
assert sum(e["count"] for e in m["event_ids"]) == m["events"]
assert sum(c["count"] for c in m["computers"]) == m["events"]
n4625 = sum(e["count"] for e in m["event_ids"] if e["event_id"] == "4625")
found = [json.loads(l) for l in open(f"{w}/4625.jsonl")]
assert len(found) == n4625, (len(found), n4625)
assert all(str(f["event"]["EventID"]) == "4625" for f in found)
brute = [l for l in m["logons"] if l["source"] == "192.168.198.149" and l["logon_type"] == "3"]
assert brute and max(l["failed"] for l in brute) >= 3559, brute[:3]
kw = [json.loads(l) for l in open(f"{w}/kw1.jsonl")]
assert kw and all("mimikatz" in json.dumps(k["event"]).lower() for k in kw), len(kw)
rx = [json.loads(l) for l in open(f"{w}/re.jsonl")]
assert rx and all(re.search(r"lsass\.(exe|dmp)", json.dumps(r["event"])) for r in rx)
# Times are the events' and sources are the files.
assert all(k["time"] and k["source"]["file"].endswith(".evtx") for k in kw)
print(f"search/metrics: {m['events']} events, {n4625} with id 4625, {len(kw)} mention mimikatz, {len(rx)} lsass")
PY
grep -qi "Cmd: .*-enc" "$work/enc.txt" || fail "a field test with a modifier"
grep -q "^Logons (Security 4624 succeeded, 4625 failed)" "$work/metrics.txt" || fail "the logon summary's heading"
for bad in "-F nofieldvalue" "-e (" ""; do
  # shellcheck disable=SC2086
  if "$bin" search -q $bad "$dbc" > /dev/null 2>&1; then fail "search '$bad' was accepted"; fi
done
echo "search and metrics: all checks passed"
