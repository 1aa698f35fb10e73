#!/usr/bin/env bash
# Times you can trust (issue 21, point 6).
#   - OTRF LSASS campaign 02: the export's TimeCreated/@timestamp are 19 hours
#     behind the Sysmon UtcTime of the same records; alert times must agree
#     with UtcTime, and events without one (Security, PowerShell) are moved by
#     the same offset, so the source lines up; the summary counts both.
#   - A small export whose times agree with UtcTime is left alone; one whose
#     records disagree by different amounts (no one offset) is left alone too.
#   - `dump` keeps all seven fraction digits (100 ns) of SystemTime.
set -euo pipefail
bin=$1
source "$(dirname "$0")/../../support/script_lib.sh"

# --- synthetic exports (no shared data needed)
python3 - "$work" <<'PY'
import json, sys, datetime as dt
w = sys.argv[1]
def rec(export, utc, **kw):
    d = {"Channel": "Microsoft-Windows-Sysmon/Operational", "Hostname": "H1", "EventID": 1,
         "TimeCreated": export.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z", "Image": "C:\\x\\whoami.exe",
         "CommandLine": "whoami /all"}
    if utc is not None:
        d["UtcTime"] = utc.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    d.update(kw)
    return json.dumps(d)
t0 = dt.datetime(2023, 8, 15, 5, 0, 0)
with open(f"{w}/shifted.jsonl", "w") as f:
    f.write(rec(t0, None, Channel="Security", EventID=4688, NewProcessName="C:\\x\\whoami.exe") + "\n")
    for k in range(8):
        e = t0 + dt.timedelta(seconds=10 * k)
        f.write(rec(e, e + dt.timedelta(hours=2, milliseconds=3)) + "\n")
with open(f"{w}/agree.jsonl", "w") as f:
    for k in range(8):
        e = t0 + dt.timedelta(seconds=10 * k)
        f.write(rec(e, e + dt.timedelta(milliseconds=200)) + "\n")
with open(f"{w}/scattered.jsonl", "w") as f:
    for k in range(8):
        e = t0 + dt.timedelta(seconds=10 * k)
        f.write(rec(e, e + dt.timedelta(hours=k)) + "\n")
PY
cat > "$work/rule.yml" <<'YML'
title: Whoami (times test)
id: 0b9f0a43-0000-4000-8000-00000000aaaa
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
level: low
YML
"$bin" hunt --no-config -r "$work/rule.yml" -f jsonl -o "$work/shifted.out" "$work/shifted.jsonl" > "$work/shifted.sum"
grep -q "times .*1 source(s) whose export times disagree .*(+02:00:00.003): 8 event(s) took their own, 1 shifted" \
  "$work/shifted.sum" || { cat "$work/shifted.sum" >&2; fail "the shifted export's summary"; }
python3 - "$work/shifted.out" <<'PY' || fail "shifted export times"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if '"type":"alert"' in l]
assert len(a) == 9, len(a)
for x in a:
    ev = x["event"]
    if "UtcTime" in ev:
        assert x["time"].startswith(ev["UtcTime"].replace(" ", "T")), (x["time"], ev["UtcTime"])
    else:  # the Security record, moved by the offset seen
        assert x["time"] == "2023-08-15T07:00:00.003000000Z", x["time"]
PY
for f in agree scattered; do
  "$bin" hunt --no-config -r "$work/rule.yml" -f jsonl -o "$work/$f.out" "$work/$f.jsonl" > "$work/$f.sum"
  if grep -q "^  times" "$work/$f.sum"; then fail "$f: times corrected"; fi
  python3 - "$work/$f.out" <<'PY' || fail "$f: times changed"
import json, sys
for l in open(sys.argv[1]):
    x = json.loads(l)
    if x["type"] == "alert":
        assert x["time"][:23] == x["event"]["TimeCreated"][:23], (x["time"], x["event"]["TimeCreated"])
PY
done

need_shared "$shared/attacks"  # the checks above need no shared data

# --- LSASS campaign 02 with the SigmaHQ tree
tree=$shared/sigma/rules-tree
lsass=$shared/attacks/otrf-security-datasets/compound/LSASS_campaign_02/metasploit_procdump_lsass_memory_dump.zip
"$bin" hunt --no-config -r "$tree/rules" -f jsonl -o "$work/lsass.out" "$lsass" > "$work/lsass.sum"
grep -q "times .*1 source(s) whose export times disagree with the records' own UTC time (+18:59:5" "$work/lsass.sum" ||
  { cat "$work/lsass.sum" >&2; fail "LSASS-02 summary"; }
python3 - "$work/lsass.out" <<'PY' || fail "LSASS-02 alert times"
import json, sys, datetime as dt
own = other = 0
for l in open(sys.argv[1]):
    x = json.loads(l)
    if x["type"] != "alert":
        continue
    ev = x["event"]
    t = dt.datetime.fromisoformat(x["time"][:26])
    if "UtcTime" in ev:
        assert x["time"].startswith(ev["UtcTime"].replace(" ", "T")), (x["time"], ev["UtcTime"])
        own += 1
    else:
        export = dt.datetime.fromisoformat(ev["@timestamp"][:23])
        d = (t - export).total_seconds()
        assert abs(d - 19 * 3600) < 2, (x["time"], ev["@timestamp"])
        other += 1
    assert x["time"].startswith("2023-08-16"), x["time"]
assert own > 50 and other > 0, (own, other)
print(f"LSASS-02: {own} alerts at their UtcTime, {other} moved by the offset")
PY

# --- dump keeps the 100 ns digit
evtx=$shared/attacks/deepbluecli/smb-password-guessing-security.evtx
"$bin" dump "$evtx" 2>/dev/null > "$work/dump.jsonl"
"$bin" dump -f xml "$evtx" 2>/dev/null > "$work/dump.xml"
python3 - "$work/dump.jsonl" "$work/dump.xml" <<'PY' || fail "dump's SystemTime digits"
import json, re, sys
js = [json.loads(l)["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"] for l in open(sys.argv[1])]
xs = re.findall(r'SystemTime="([^"]+)"', open(sys.argv[2]).read())
assert js and js == xs, (js[:2], xs[:2])
assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", t) for t in js), js[:3]
assert any(not t.endswith("0Z") for t in js), "no record with a non-zero 100 ns digit"
PY
echo "times: all checks passed"
