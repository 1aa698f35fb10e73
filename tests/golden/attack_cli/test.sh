#!/usr/bin/env bash
# ATT&CK commands end to end: rules coverage (table, JSON, Navigator layer),
# attribute on an incident of a case database and on a technique list,
# and rules check reporting an unknown ATT&CK tag. JSON is checked with
# python3 (installed by scripts/setup.sh).
set -euo pipefail
# A cache of this test's own, never the user's.
cache_dir=$(mktemp -d)
export ARIADNE_CACHE_DIR=$cache_dir
bin=$1
root=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work" "$cache_dir"' EXIT
check() { python3 -c "$1" "$2" || { echo "check failed on $2" >&2; exit 1; }; }
layer_ok='
import json, sys
l = json.load(open(sys.argv[1]))
assert l["name"] and l["domain"] == "enterprise-attack", l.get("domain")
assert l["versions"]["layer"].startswith("4.") and l["versions"]["attack"] and l["versions"]["navigator"]
assert l["techniques"], "no techniques"
for t in l["techniques"]:
    assert t["techniqueID"].startswith("T") and isinstance(t["score"], (int, float)), t
'
tree=$root/../shared/data/sigma/rules-tree
if [[ -d $tree ]]; then
  rules=(-r "$tree/rules" -r "$tree/rules-emerging-threats" -r "$tree/rules-threat-hunting" -r "$tree/rules-placeholder")
  "$bin" rules coverage "${rules[@]}" -f json -o "$work/cov.json"
  # About 390 distinct technique ids are tagged in the SigmaHQ tree.
  check 'import json, sys
c = json.load(open(sys.argv[1]))
assert 380 <= c["technique_tags"] <= 420, c["technique_tags"]
assert 380 <= c["techniques"] <= 420, c["techniques"]
assert len(c["tactics"]) == 14 and all(t["rules"] > 0 for t in c["tactics"])' "$work/cov.json"
  "$bin" rules coverage "${rules[@]}" -f navigator -o "$work/cov_layer.json"
  check "$layer_ok" "$work/cov_layer.json"
  # Whole outputs, then matched: GNU grep stops at the first match when its
  # output is /dev/null, and the writer's SIGPIPE fails the pipe under pipefail.
  cov_text=$("$bin" rules coverage "${rules[@]}" --no-color)
  [[ $cov_text == *"distinct technique tags"* ]] || { echo "coverage names no distinct technique tags" >&2; exit 1; }
elif [[ ${CI:-} == true ]]; then
  echo "../shared/data is missing, and CI=true needs it" >&2
  exit 1
fi
# The built-in pack works without shared data.
"$bin" rules coverage -f navigator -o "$work/builtin_layer.json"
check "$layer_ok" "$work/builtin_layer.json"

# attribute on the incident of the trace_lsass excerpt.
case_dir=$root/tests/golden/trace_lsass
"$bin" hunt -q --rules "$case_dir/rules.yml" -f jsonl -o "$work/out.jsonl" --case "$work/case.db" "$case_dir/input.jsonl"
# awk reads the file itself: no pipe whose writer a quitting reader kills (pipefail).
incident=$(awk -F'"' '/"type":"incident"/ { print $8; exit }' "$work/out.jsonl")
"$bin" attribute "$work/case.db" "${incident:0:12}" -f json -o "$work/attr.json"
check 'import json, sys
a = json.load(open(sys.argv[1]))
assert a["verdict"] in ("ranked", "unknown")
assert "T1003.001" in a["observed"], a["observed"]
assert len(a["groups"]) == 5
for g in a["groups"]:
    assert g["id"].startswith("G") and g["name"] and 0 <= g["score"] <= 1 and g["matched"], g
scores = [g["score"] for g in a["groups"]]
assert scores == sorted(scores, reverse=True)' "$work/attr.json"
"$bin" attribute "$work/case.db" "$incident" -f navigator -o "$work/incident_layer.json"
check "$layer_ok" "$work/incident_layer.json"
attr_text=$("$bin" attribute "$work/case.db" "$incident" --no-color)
[[ $'\n'$attr_text == *$'\n'"verdict: "* ]] || { echo "attribute prints no verdict line" >&2; exit 1; }
"$bin" attribute --techniques T1003.001,T1059.001,T1021.002 --top 3 -f json -o "$work/list.json"
check 'import json, sys
a = json.load(open(sys.argv[1]))
assert len(a["groups"]) == 3 and a["observed"] == ["T1003.001", "T1059.001", "T1021.002"]' "$work/list.json"
# ICS: its own groups and techniques.
"$bin" attribute --domain ics --techniques T0800,T0816,T0831 --top 2 -f json -o "$work/ics.json"
check 'import json, sys
a = json.load(open(sys.argv[1]))
assert a["observed"] == ["T0800", "T0816", "T0831"] and len(a["groups"]) == 2, a' "$work/ics.json"
# Usage errors are errors, not crashes.
if "$bin" attribute 2>/dev/null; then echo "attribute without input accepted" >&2; exit 1; fi
if "$bin" attribute "$work/case.db" ffffffff 2>/dev/null; then echo "unknown incident accepted" >&2; exit 1; fi

# rules check names an ATT&CK tag that names nothing.
cat > "$work/rule.yml" <<'RULE'
title: Test rule with tags
id: 2b0c4a5e-9b53-4b9e-9c43-0d1c2a9f0a09
status: test
level: low
tags: [attack.execution, attack.t1059.001, attack.t1685, attack.t9999]
logsource: {product: windows, category: process_creation}
detection:
  selection:
    Image|endswith: '\x.exe'
  condition: selection
RULE
"$bin" rules check -w --no-color "$work/rule.yml" > "$work/check.txt" || true
grep -q "unknown-attack-tag.*attack.t9999" "$work/check.txt" || { cat "$work/check.txt" >&2; exit 1; }
if grep -q "attack.t1685'" "$work/check.txt"; then echo "v19 tag reported as unknown" >&2; exit 1; fi
echo ok
