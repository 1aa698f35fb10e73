#!/usr/bin/env python3
"""Deterministic Security-log style events as JSON lines (evtx-dump layout).

    bench/correlate/gen_security.py N OUT.jsonl [--seed S]

Mix: about 45 % successful logons (4624), 50 % process creations (4688) and
5 % scattered failed logons (4625), plus bursts: every ~2,000 events one user
gets 5 to 8 failed logons within about 20 seconds. Event time starts at
2024-03-01T00:00:00Z and advances 0-10 ms per event; lines come in time order.
The same N and seed always give the same file.
"""
import heapq
import json
import random
import sys
from datetime import datetime, timedelta, timezone


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        return 2
    n, out = int(args[0]), args[1]
    seed = int(args[args.index('--seed') + 1]) if '--seed' in args else 20240301
    rng = random.Random(seed)
    users = [f"user{k:04d}" for k in range(5000)]
    hosts = [f"WS{k:03d}" for k in range(300)]
    images = [r"C:\Windows\System32\svchost.exe", r"C:\Windows\explorer.exe", r"C:\Program Files\App\app.exe",
              r"C:\Windows\System32\cmd.exe", r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"]
    t0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
    now_us = 0
    pending = []  # (time_us, seq, event) for burst failures
    seq = 0

    def stamp(us):
        return (t0 + timedelta(microseconds=us)).strftime('%Y-%m-%dT%H:%M:%S.%fZ')

    def event(eid, us, data, host):
        return {"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                                     "EventID": eid, "Channel": "Security", "Computer": host,
                                     "TimeCreated": {"#attributes": {"SystemTime": stamp(us)}}},
                          "EventData": data}}

    with open(out, 'w') as f:
        written = 0
        while written < n:
            now_us += rng.randint(0, 10000)
            if rng.random() < 1 / 2000:
                user, src, host = rng.choice(users), f"10.9.{rng.randint(0, 255)}.{rng.randint(1, 254)}", rng.choice(hosts)
                at = now_us
                for _ in range(rng.randint(5, 8)):
                    at += rng.randint(500_000, 4_000_000)
                    seq += 1
                    heapq.heappush(pending, (at, seq, event(4625, at, {"TargetUserName": user, "TargetDomainName": "CORP",
                                                                        "IpAddress": src, "LogonType": 3,
                                                                        "SubStatus": "0xc000006a"}, host)))
            while pending and pending[0][0] <= now_us and written < n:
                f.write(json.dumps(heapq.heappop(pending)[2], separators=(',', ':')) + "\n")
                written += 1
            if written >= n:
                break
            r = rng.random()
            host = rng.choice(hosts)
            if r < 0.45:
                e = event(4624, now_us, {"TargetUserName": rng.choice(users), "TargetDomainName": "CORP",
                                         "LogonType": rng.choice([2, 3, 10]), "IpAddress": f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}"}, host)
            elif r < 0.95:
                e = event(4688, now_us, {"SubjectUserName": rng.choice(users), "NewProcessName": rng.choice(images),
                                         "ParentProcessName": r"C:\Windows\explorer.exe",
                                         "CommandLine": "app.exe /run " + str(rng.randint(0, 99999))}, host)
            else:
                e = event(4625, now_us, {"TargetUserName": rng.choice(users), "TargetDomainName": "CORP",
                                         "IpAddress": f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}", "LogonType": 3,
                                         "SubStatus": "0xc000006a"}, host)
            f.write(json.dumps(e, separators=(',', ':')) + "\n")
            written += 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
