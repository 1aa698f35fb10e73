#!/usr/bin/env bash
# The analyst's first screen (issue 21) on real data: the DeepBlueCLI EVTX
# files and the EVTX-to-MITRE APT chains hunted with the SigmaHQ tree.
#   - the table is a timeline: at most 300 lines, rows sorted by time, every
#     rule that fired named, byte-identical for -j 1 and -j 2;
#   - under an 80-column pseudo-terminal no line is wider than 80;
#   - the CSV timeline reads back with Python's csv module, one row per alert,
#     times non-decreasing;
#   - rules with unresolved placeholders are left out unless a placeholder
#     file gives a value;
#   - noise controls: --exclude-rule, --exclude-rules, --status, --noisy-rules,
#     --from/--to, --host and a --config file (flags win over it).
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../support/script_lib.sh"
need_shared "$shared/sigma/rules-tree"
tree=$shared/sigma/rules-tree
rules=(-r "$tree/rules" -r "$tree/rules-emerging-threats" -r "$tree/rules-threat-hunting" -r "$tree/rules-placeholder")
dbc=$shared/attacks/deepbluecli
apt=$shared/attacks/evtx-to-mitre-attack/EVTX_full_APT_attack_steps
py() { python3 -c "$@" || fail "python check: ${*: -1}"; }

# --- the table: a timeline of at most 300 lines naming every rule
"$bin" hunt --no-config "${rules[@]}" "$dbc" > "$work/table.txt" 2> "$work/table.err"
"$bin" hunt --no-config "${rules[@]}" -j 1 "$dbc" > "$work/table1.txt" 2>/dev/null
"$bin" hunt --no-config "${rules[@]}" -q -f jsonl -o "$work/alerts.jsonl" "$dbc"
lines=$(wc -l < "$work/table.txt")
(( lines <= 300 )) || fail "the DeepBlueCLI table has $lines lines (at most 300)"
# Same rows for any -j (the summary's timing line differs).
cmp -s <(sed '/^Summary/,$d' "$work/table.txt") <(sed '/^Summary/,$d' "$work/table1.txt") || fail "-j 1 and -j 2 tables differ"
py '
import json, re, sys
table = open(sys.argv[1], encoding="utf-8").read()
rows = table.split("\nSummary")[0].splitlines()
assert rows[0].startswith("TIME (UTC)"), rows[0]
times = [r[:19] for r in rows[1:]]
assert times == sorted(times), "rows are not in time order"
fired = {json.loads(l)["rule"]["title"] for l in open(sys.argv[2]) if "\"type\":\"alert\"" in l}
missing = [t for t in fired if t not in table]
assert not missing, ("rules that fired but are not named", missing)
alerts = sum(1 for l in open(sys.argv[2]) if "\"type\":\"alert\"" in l)
groups = {json.loads(l)["group"] for l in open(sys.argv[2]) if "\"type\":\"alert\"" in l}
assert len(rows) - 1 == len(groups), ("rows", len(rows) - 1, "groups", len(groups))
m = re.search(r"alerts\s+([\d,]+)\s.*in ([\d,]+) rows", table)
assert m and int(m.group(1).replace(",", "")) == alerts and int(m.group(2).replace(",", "")) == len(groups), m
# The failed logons of one brute force (3,559 of 3,561: the same user, domain,
# source address and logon type) are one row.
assert any((m := re.search(r"\s(\d+)\s+Metasploit SMB Authentication", r)) and int(m.group(1)) > 3000 for r in rows), "brute force not collapsed"
print(f"table: {len(rows) - 1} rows for {alerts} alerts, {len(fired)} rules")
' "$work/table.txt" "$work/alerts.jsonl"

# --- a process both Sysmon 1 and Security 4688 report is one row, counted once
lsass=$shared/attacks/otrf-security-datasets/compound/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump.zip
"$bin" hunt --no-config -q "$lsass" > "$work/both.txt"
"$bin" hunt --no-config -q -f jsonl "$lsass" > "$work/both.jsonl"
py '
import json, re, sys
rows = [r for r in open(sys.argv[1]) if "Whoami Used For Privilege Discovery" in r]
alerts = [json.loads(l) for l in open(sys.argv[2]) if "Whoami Used For Privilege Discovery" in l and "\"type\":\"alert\"" in l]
channels = {a["event"].get("Channel") for a in alerts}
assert channels == {"Security", "Microsoft-Windows-Sysmon/Operational"}, channels
assert len(rows) == 1 and re.search(r"\s1\s+Whoami", rows[0]), rows
' "$work/both.txt" "$work/both.jsonl"

# --- 80 columns under a pseudo-terminal
python3 "$root/tests/support/pty_run.py" 80 50 "$bin" hunt --no-config "${rules[@]}" "$dbc" > "$work/pty.txt"
py '
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
t = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", t)
lines = re.split(r"[\r\n]", t)
wide = [l for l in lines if len(l) > 80]
assert not wide, wide[:3]
assert "\x1b" not in t
assert any(l.startswith("TIME (UTC)") for l in lines)
' "$work/pty.txt"
grep -q $'\x1b\[' "$work/pty.txt" || fail "no colour on a terminal"
if grep -q $'\x1b\[' "$work/table.txt"; then fail "colour on a non-terminal"; fi
NO_COLOR=1 python3 "$root/tests/support/pty_run.py" 80 50 "$bin" hunt --no-config "${rules[@]}" "$dbc" > "$work/pty_nc.txt"
if grep -q $'\x1b\[[0-9;]*m' "$work/pty_nc.txt"; then fail "colour despite NO_COLOR"; fi

# --- the CSV timeline
"$bin" hunt --no-config "${rules[@]}" -q -f csv -o "$work/alerts.csv" "$dbc"
py '
import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
alerts = [json.loads(l) for l in open(sys.argv[2]) if "\"type\":\"alert\"" in l]
assert len(rows) == len(alerts), (len(rows), len(alerts))
assert list(rows[0].keys())[:9] == ["Timestamp", "Computer", "Channel", "EventID", "Level", "RuleTitle", "Details", "RuleFile", "SourceFile"]
times = [r["Timestamp"] for r in rows]
assert times == sorted(times), "CSV rows are not in time order"
assert {r["AlertID"] for r in rows} == {a["id"] for a in alerts}
assert all(r["SourceFile"].endswith(".evtx") and "/" not in r["SourceFile"] for r in rows)
fails = [r for r in rows if r["EventID"] == "4625"]
assert fails and all("User: " in r["Details"] and "SrcIP: " in r["Details"] for r in fails)
' "$work/alerts.csv" "$work/alerts.jsonl"

# --- placeholders: left out by default, filled from a file
"$bin" hunt --no-config "${rules[@]}" -f jsonl "$apt" > "$work/apt.jsonl" 2> "$work/apt.err"
if grep -q "Userdomain Variable Enumeration" "$work/apt.jsonl"; then fail "a rule with an unresolved placeholder ran"; fi
grep -q "with unresolved placeholders left out" "$work/apt.err" || fail "the summary does not count placeholder rules"
# wmiexec's command line holds "__output": a value of %userdomain% that occurs.
printf 'userdomain: ["__output"]\n' > "$work/ph.yml"
# (grep reads whole files here: `grep -q` at the end of a pipe under pipefail
# can kill the writer with SIGPIPE.)
"$bin" hunt --no-config "${rules[@]}" --placeholders "$work/ph.yml" -q -f jsonl -o "$work/x.jsonl" "$apt" 2>/dev/null
grep -q "Userdomain Variable Enumeration" "$work/x.jsonl" || fail "the placeholder file did not fill %userdomain%"
"$bin" hunt --no-config "${rules[@]}" --wildcard-placeholders -q -f jsonl -o "$work/x.jsonl" "$apt" 2>/dev/null
grep -q "Userdomain Variable Enumeration" "$work/x.jsonl" || fail "--wildcard-placeholders did not run the rule"

# --- noise controls
count() { grep -c "\"$1\"" "$2" || true; }
msf=72124974-a68b-4366-b990-d30e0b2a190d  # Metasploit SMB Authentication
[[ $(count "$msf" "$work/alerts.jsonl") -ge 3000 ]] || fail "the brute force did not fire"
"$bin" hunt --no-config "${rules[@]}" --exclude-rule "$msf" -f jsonl "$dbc" > "$work/x.jsonl" 2> "$work/x.err"
[[ $(count "$msf" "$work/x.jsonl") == 0 ]] || fail "--exclude-rule by id"
grep -q "1 excluded" "$work/x.err" || fail "exclusions are not counted"
printf '# noisy on this data\n  *metasploit*smb*   \n\n' > "$work/list.txt"
"$bin" hunt --no-config "${rules[@]}" --exclude-rules "$work/list.txt" -f jsonl "$dbc" > "$work/x.jsonl" 2>/dev/null
[[ $(count "$msf" "$work/x.jsonl") == 0 ]] || fail "--exclude-rules with a glob over the title"
"$bin" hunt --no-config "${rules[@]}" --exclude-rule proc_creation_win_userdomain_variable_enumeration.yml \
  --wildcard-placeholders -f jsonl "$apt" 2>/dev/null > "$work/x.jsonl"
if grep -q "Userdomain Variable Enumeration" "$work/x.jsonl"; then fail "--exclude-rule by file name"; fi
"$bin" hunt --no-config "${rules[@]}" --noisy-rules "$work/list.txt" -f jsonl "$dbc" > "$work/x.jsonl" 2>/dev/null
py '
import json, sys
lv = {json.loads(l)["rule"]["level"] for l in open(sys.argv[1]) if "72124974-a68b" in l}
assert lv == {"medium"}, lv
' "$work/x.jsonl"
"$bin" hunt --no-config "${rules[@]}" --status stable -f jsonl "$dbc" > "$work/x.jsonl" 2> "$work/x.err"
grep -q "left out by status" "$work/x.err" || fail "--status does not count what it leaves out"
py '
import json, sys
st = {json.loads(l)["rule"]["path"] for l in open(sys.argv[1]) if "\"type\":\"alert\"" in l}
for p in st:
    assert "status: stable" in open(p, encoding="utf-8").read(), p
' "$work/x.jsonl"
"$bin" hunt --no-config "${rules[@]}" --from "2016-09-20 00:00:00" --to 2016-09-20 --host 'ie10*' -f jsonl "$dbc" \
  > "$work/x.jsonl" 2> "$work/x.err"
grep -q "scope" "$work/x.err" || fail "--from/--to/--host do not count what they leave out"
py '
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if "\"type\":\"alert\"" in l]
assert a, "nothing in the window"
assert all(x["time"].startswith("2016-09-20") and x["host"].lower().startswith("ie10") for x in a)
' "$work/x.jsonl"

# --- the configuration file; flags win over it
printf 'exclude-rule: [%s]\nformat: csv\nmin-level: high\n' "$msf" > "$work/config.yml"
"$bin" hunt --config "$work/config.yml" "${rules[@]}" -f jsonl "$dbc" > "$work/x.jsonl" 2>/dev/null
[[ $(count "$msf" "$work/x.jsonl") == 0 ]] || fail "the config file's exclude-rule"
grep -q '"level":"medium"' "$work/x.jsonl" && fail "the config file's min-level"
[[ $(head -c 1 "$work/x.jsonl") == '{' ]] || fail "-f jsonl did not win over the config file's format"
XDG_CONFIG_HOME=$work/xdg; mkdir -p "$XDG_CONFIG_HOME/ariadne"; cp "$work/config.yml" "$XDG_CONFIG_HOME/ariadne/config.yml"
XDG_CONFIG_HOME=$XDG_CONFIG_HOME "$bin" hunt "${rules[@]}" "$dbc" > "$work/x.txt" 2>/dev/null
head -1 "$work/x.txt" | grep -q '^Timestamp,' || fail "the default config file was not read"
XDG_CONFIG_HOME=$XDG_CONFIG_HOME "$bin" hunt --no-config "${rules[@]}" "$dbc" > "$work/x.txt" 2>/dev/null
head -1 "$work/x.txt" | grep -q '^TIME' || fail "--no-config read the config file"
printf 'colour: yes\n' > "$work/bad.yml"
if "$bin" hunt --config "$work/bad.yml" "${rules[@]}" "$dbc" > /dev/null 2> "$work/bad.err"; then fail "a bad config was accepted"; fi
grep -q "bad.yml:1: unknown setting 'colour'" "$work/bad.err" || fail "a bad config is not named with its line"
echo "first screen: all checks passed"
