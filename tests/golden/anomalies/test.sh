#!/usr/bin/env bash
# Anomaly alerts (issue 22, point 5) on the OTRF LSASS campaigns:
#   - hunt emits them as JSON lines of type "anomaly" (kind, detail, entity),
#     procdump reading LSASS among them, and they join the attack incident;
#   - --no-anomalies and --min-level above low leave them out;
#   - the case database keeps them as alerts of source "(anomaly)";
#   - a baseline learned on campaigns 01 and 03 (same estate) silences the
#     estate's own oddities (VBoxService reading LSASS, Edge helpers) on
#     campaign 02, and not procdump.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../support/script_lib.sh"
C=$shared/attacks/otrf-security-datasets/compound
need_shared "$C/LSASS_campaign_02"
T=$shared/sigma/rules-tree/rules
c1=$C/LSASS_campaign_01/metasploit_logonpasswords_lsass_memory_dump.zip
c2=$C/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump.zip
c3=$C/LSASS_campaign_03/metasploit_comsvcs_lsass_memory_dump.zip

"$bin" hunt -q --no-config -f jsonl -o "$work/all.jsonl" --case "$work/case.db" -r "$T" "$c2"
python3 - "$work/all.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
anomalies = [d for d in lines if d["type"] == "anomaly"]
incidents = [d for d in lines if d["type"] == "incident"]
assert anomalies, "no anomaly alerts"
for a in anomalies:
    for k in ("id", "rule", "kind", "time", "host", "detail", "seen_before", "entity"):
        assert k in a, (k, a)
    assert a["rule"]["level"] == "low", a
procdump = [a for a in anomalies if a["kind"] == "rare_lsass_access" and "procdump" in a["entity"].get("image", "").lower()]
assert procdump, [a["detail"] for a in anomalies]
assert procdump[0]["rule"]["techniques"] == ["T1003.001"], procdump[0]
top = incidents[0]
assert any(p["id"] in top["alerts"] for p in procdump), "procdump's anomaly is not in the top incident"
print("anomalies:", len(anomalies), "kinds:", sorted({a["kind"] for a in anomalies}))
PY
n=$(sqlite3 "$work/case.db" "SELECT count(*) FROM alerts WHERE source_file = '(anomaly)'")
want=$(grep -c '"type":"anomaly"' "$work/all.jsonl")
[[ $n == "$want" ]] || fail "case database holds $n anomalies, the JSON lines $want"

"$bin" hunt -q --no-config -f jsonl -o "$work/none.jsonl" --no-anomalies -r "$T" "$c2"
if grep -q '"type":"anomaly"' "$work/none.jsonl"; then fail "--no-anomalies still emits anomalies"; fi
"$bin" hunt -q --no-config -f jsonl -o "$work/medium.jsonl" --min-level medium -r "$T" "$c2"
if grep -q '"type":"anomaly"' "$work/medium.jsonl"; then fail "--min-level medium still emits (low) anomalies"; fi

# --host and --from/--to scope them like any alert.
"$bin" hunt -q --no-config -f jsonl -o "$work/other.jsonl" --host 'nothere*' -r "$T" "$c2"
if grep -q '"type":"anomaly"' "$work/other.jsonl"; then fail "--host left an anomaly of another host"; fi
"$bin" hunt -q --no-config -f jsonl -o "$work/later.jsonl" --from 2030-01-01 -r "$T" "$c2"
if grep -q '"type":"anomaly"' "$work/later.jsonl"; then fail "--from left an earlier anomaly"; fi
"$bin" hunt -q --no-config -f jsonl -o "$work/acct.jsonl" --host 'acct01*' -r "$T" "$c2"
grep -q '"type":"anomaly"' "$work/acct.jsonl" || fail "--host acct01* dropped the host's own anomalies"

# The table shows them as rows, and the summary counts them.
"$bin" hunt --no-config --wide -o "$work/table.txt" -r "$T" "$c2" > "$work/summary.txt"
table=$(cat "$work/table.txt")
[[ $table == *"Rare process accessed LSASS"* ]] || fail "no anomaly row in the table"
summary=$(cat "$work/summary.txt")
[[ $summary == *Anomalies* ]] || fail "the summary does not count anomalies"

"$bin" baseline learn -o "$work/base.tsv" -r "$T" "$c1" "$c3" 2> /dev/null
"$bin" hunt -q --no-config -f jsonl -o "$work/based.jsonl" --baseline "$work/base.tsv" -r "$T" "$c2"
python3 - "$work/all.jsonl" "$work/based.jsonl" <<'PY'
import json, sys
def anomalies(p):
    return [d for d in map(json.loads, open(p)) if d["type"] == "anomaly"]
before, after = anomalies(sys.argv[1]), anomalies(sys.argv[2])
images = lambda xs: {a["entity"].get("image", "").lower().rsplit("\\", 1)[-1] for a in xs if a["kind"] == "rare_lsass_access"}
assert "vboxservice.exe" in images(before), images(before)
assert "vboxservice.exe" not in images(after), images(after)
assert {"procdump.exe", "procdump64.exe"} <= images(after), images(after)
assert len(after) < len(before), (len(before), len(after))
print("with a baseline:", len(before), "->", len(after))
PY
echo "anomalies: ok"
