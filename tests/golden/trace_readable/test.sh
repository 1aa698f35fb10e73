#!/usr/bin/env bash
# Readable traces (issue 21, point 8) on DeepBlueCLI and OTRF LSASS campaign 02:
#   - a brute force's trace is a few lines, its 3,561 identical alerts one
#     line with a count (it was 4,989 lines);
#   - the traced alert is marked, once;
#   - PowerShell -EncodedCommand is decoded beside the command line;
#   - an incident made of chains the logs do not connect names each root;
#   - under an 80-column pty no line is wider than 80, and --wide keeps all;
#   - forward steps show the edge's time: nothing is accessed before the
#     process that accessed it was there.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../support/script_lib.sh"
need_shared "$shared/sigma/rules-tree"
tree=$shared/sigma/rules-tree
"$bin" hunt --no-config -q -r "$tree" -o /dev/null --case "$work/d.db" "$shared/attacks/deepbluecli"
"$bin" incidents "$work/d.db" -f jsonl > "$work/inc.jsonl"
id_of() { python3 -c "
import json, sys
for l in open(sys.argv[1]):
    i = json.loads(l)
    if sys.argv[2] in i['headline']:
        print(i['id']); break" "$work/inc.jsonl" "$1"; }
brute=$(id_of "Metasploit SMB")
[[ -n $brute ]] || fail "no brute-force incident"
"$bin" trace "$work/d.db" "$brute" > "$work/brute.txt"
(( $(wc -l < "$work/brute.txt") <= 20 )) || fail "the brute force's trace has $(wc -l < "$work/brute.txt") lines"
grep -q "Metasploit SMB Authentication x3561" "$work/brute.txt" || fail "repeated alerts not collapsed"

# Every incident's forward trace: the -Enc command decoded somewhere, edge times.
: > "$work/all.txt"
while read -r id; do
  "$bin" trace "$work/d.db" "$id" --forward >> "$work/all.txt" 2>/dev/null || true  # some incidents are on no entity
done < <(python3 -c "import json, sys; [print(json.loads(l)['id']) for l in open(sys.argv[1])]" "$work/inc.jsonl")
grep -qi "> decoded: .*New-Object" "$work/all.txt" || fail "no -EncodedCommand decoded"
grep -q "^Root causes: [0-9]* chains the logs do not connect" "$work/all.txt" || fail "unconnected chains not named"

alert=$(sqlite3 "$work/d.db" "SELECT alert_id FROM alert_entities WHERE title LIKE 'Base64 Encoded PowerShell%' LIMIT 1")
"$bin" trace "$work/d.db" "$alert" > "$work/alert.txt"
[[ $(grep -c "<- traced" "$work/alert.txt") == 1 ]] || fail "the traced alert is not marked once"

top=$(head -1 "$work/inc.jsonl" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
python3 "$root/tests/support/pty_run.py" 80 40 "$bin" trace "$work/d.db" "$top" --forward > "$work/pty.txt"
python3 - "$work/pty.txt" <<'PY' || fail "a trace line wider than 80 columns"
import re, sys
t = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", open(sys.argv[1], encoding="utf-8").read())
assert max(len(l) for l in re.split(r"[\r\n]", t)) <= 80
PY
"$bin" trace "$work/d.db" "$top" --forward --wide > "$work/wide.txt"
awk 'length > 200 { found = 1 } END { exit !found }' "$work/wide.txt" || fail "--wide cut lines"

# LSASS campaign 02: forward steps at their edge's time.
"$bin" hunt --no-config -q -r "$tree/rules" -o /dev/null --case "$work/l.db" \
  "$shared/attacks/otrf-security-datasets/compound/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump.zip"
: > "$work/lsass.txt"
while read -r id; do
  "$bin" trace "$work/l.db" "$id" --forward --wide >> "$work/lsass.txt" 2>/dev/null || true
done < <("$bin" incidents "$work/l.db" -f jsonl | python3 -c "import json, sys; [print(json.loads(l)['id']) for l in sys.stdin]")
python3 - "$work/lsass.txt" <<'PY' || fail "a forward step before its cause"
import datetime as dt, re, sys
def ts(t):
    return dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f")
step = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})  ( *)(\S+) ")
stack, checked, lsass = [], 0, 0
for line in open(sys.argv[1], encoding="utf-8"):
    m = step.match(line)
    if not m:
        if line.startswith("Trace of"):
            stack = []
        continue
    t, depth, rel = m.group(1), len(m.group(2)), m.group(3)
    while stack and stack[-1][1] >= depth:
        stack.pop()
    # A process shown at its start (a child, or a chain's first step) did
    # nothing before it: what it accessed, wrote or connected to comes after
    # (Sysmon's own stamps may be a few milliseconds out of order; the bug
    # this guards against put steps minutes before their cause).
    if stack and stack[-1][2] and rel in ("accessed", "injected", "connected", "wrote", "set"):
        assert (ts(t) - ts(stack[-1][0])).total_seconds() > -1, (line.strip(), stack[-1])
        checked += 1
        lsass += "lsass.exe" in line
    started = (rel == "spawned" or rel == "process") and "process" in line
    stack.append((t, depth, started))
assert checked and lsass, (checked, lsass)
print(f"traces: {checked} forward steps no earlier than their cause, {lsass} on lsass.exe")
PY
echo "readable traces: all checks passed"
