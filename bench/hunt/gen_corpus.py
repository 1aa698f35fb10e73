#!/usr/bin/env python3
"""Deterministic JSON-lines corpus for the hunt benchmark, built from real events.

    gen_corpus.py SIZE_MB OUT.jsonl [--shared ../shared/data]

Background: every JSON-lines member of the OTRF Security-Datasets zips under
attacks/otrf-security-datasets (sorted by path). Attack-heavy events: every
SigmaHQ regression case event under sigma/regression (sorted), one after
every 25 background lines. Lines are replayed in that fixed order until the
output reaches SIZE_MB MiB; each line gets a distinct record id (RecordNumber
for flat OTRF events, Event.System.EventRecordID for the regression events)
so no two output lines are equal. Same arguments, same bytes.
"""
import argparse
import json
import os
import re
import sys
import zipfile

RECNO = re.compile(rb'"RecordNumber":\d+')
EVREC = re.compile(rb'"EventRecordID":\d+')


def otrf_lines(root):
    paths = []
    for d, _, files in os.walk(os.path.join(root, "attacks/otrf-security-datasets")):
        paths += [os.path.join(d, f) for f in files if f.endswith(".zip")]
    out = []
    for p in sorted(paths):
        with zipfile.ZipFile(p) as z:
            for name in sorted(z.namelist()):
                if not name.endswith(".json"):
                    continue
                for line in z.read(name).splitlines():
                    line = line.strip()
                    if line.startswith(b"{") and line.endswith(b"}"):
                        out.append(line)
    return out


def regression_events(root):
    paths = []
    for d, _, files in os.walk(os.path.join(root, "sigma/regression")):
        paths += [os.path.join(d, f) for f in files if f.endswith(".json")]
    out = []
    for p in sorted(paths):
        with open(p, encoding="utf-8") as f:
            text = f.read()
        dec, pos = json.JSONDecoder(), 0
        while True:  # one document, an array, or several documents in a row
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            doc, pos = dec.raw_decode(text, pos)
            for ev in doc if isinstance(doc, list) else [doc]:
                out.append(json.dumps(ev, separators=(",", ":"), ensure_ascii=False).encode())
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("size_mb", type=float)
    ap.add_argument("out")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "../../../shared/data"))
    a = ap.parse_args()
    bg = otrf_lines(a.shared)
    attack = regression_events(a.shared)
    if not bg or not attack:
        sys.exit("no source events under " + a.shared)
    target = int(a.size_mb * 1048576)
    written, n, ai = 0, 0, 0
    with open(a.out, "wb", buffering=1 << 22) as f:
        while written < target:
            for i, line in enumerate(bg):
                if written >= target:
                    break
                n += 1
                tag = b'"RecordNumber":%d' % n
                line, k = RECNO.subn(tag, line, count=1)
                if not k:
                    line = b"{" + tag + b"," + line[1:]
                f.write(line + b"\n")
                written += len(line) + 1
                if i % 25 == 24:
                    n += 1
                    ev = EVREC.sub(b'"EventRecordID":%d' % n, attack[ai % len(attack)], count=1)
                    ai += 1
                    f.write(ev + b"\n")
                    written += len(ev) + 1
    print(f"{a.out}: {n} events ({ai} regression), {written / 1048576:.0f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
